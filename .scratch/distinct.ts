import { samplePrompts } from '../lib/world/splits';
const p = samplePrompts({ split: 'test', n: 400, seed: 11 });
const by = new Map<string, Map<string, number>>();
for (const q of p) { const m = by.get(q.category) ?? new Map(); m.set(q.text, (m.get(q.text) ?? 0) + 1); by.set(q.category, m); }
for (const [c, m] of by) console.log(c, [...m.values()].reduce((a, b) => a + b, 0), 'distinct', m.size, 'max repeat', Math.max(...m.values()), c === 'texture' ? [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4) : '');
