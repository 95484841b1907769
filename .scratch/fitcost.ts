import * as fs from 'node:fs';
import { makeRng } from '../lib/rng';
import { sceneFor } from '../lib/world/layout';
import { corrupt, renderScene } from '../lib/world/render';
import { samplePrompts } from '../lib/world/splits';
import { detectObjects } from '../lib/eval/objects';
import { readPng } from '../lib/world/png';
const ratios = (list: number[]) => { const s = [...list].sort((a, b) => a - b); const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(3); return `n=${s.length} p50 ${q(0.5)} p90 ${q(0.9)} p99 ${q(0.99)} p999 ${q(0.999)} max ${s[s.length - 1].toFixed(3)}`; };
for (const [noise, blur] of [[0, 0], [0.02, 1], [0.05, 1]]) {
  const prompts = samplePrompts({ split: 'test', n: 1000, seed: 7 });
  const rng = makeRng(7).fork('fc');
  const r: number[] = []; const big: string[] = [];
  prompts.forEach((p, k) => {
    const scene = sceneFor(p, rng.fork(`s${k}`), { allowHeldOut: true });
    const im = corrupt(renderScene(scene), { noise, blur }, rng.fork(`n${k}`));
    for (const o of detectObjects(im).objects) { r.push(o.fitCost / o.pixels); if (o.fitCost / o.pixels > 0.3) big.push(`${p.text} ${o.shape} ${o.fitCost}/${o.pixels}`); }
  });
  console.log(`renders noise ${noise} blur ${blur}:`, ratios(r), big.slice(0, 5));
}
for (const dir of process.argv.slice(2)) {
  const recs = JSON.parse(fs.readFileSync(`${dir}/records.json`, 'utf8')) as unknown[];
  const r: number[] = []; const big: string[] = [];
  recs.forEach((_, k) => { for (const o of detectObjects(readPng(`${dir}/${k}.png`)).objects) { r.push(o.fitCost / o.pixels); if (o.fitCost / o.pixels > 0.35) big.push(`${k}:${o.shape}:${o.fitCost}/${o.pixels}`); } });
  console.log(dir, ratios(r), big.length, big.slice(0, 30).join(' '));
}
