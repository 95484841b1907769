// Imports flow down the pipeline: a file of lib/ may import only from its own folder or from a folder below it in
// world -> model -> generate -> regions -> judge -> reward -> train -> eval -> run -> plot -> cli (STYLE.md rule 1),
// with the shared utilities (lib/io.ts, lib/rng.ts, lib/progress.ts) and lib/backend beneath all of them and
// lib/index.ts above. Inside a folder the files import each other without a cycle. Type-only imports count: a type
// is part of the layer that owns it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const LIB = path.join(__dirname, '..', 'lib');

/** Layers from the bottom up; a file's layer is its folder under lib/ (top-level files are named). */
const LAYERS = [
  ['io.ts', 'rng.ts', 'progress.ts'],
  ['backend'],
  ['world'],
  ['model'],
  ['generate'],
  ['regions'],
  ['judge'],
  ['reward'],
  ['train'],
  ['eval'],
  ['run'],
  ['plot'],
  ['cli'],
  ['index.ts'],
];

/**
 * Arrows that point up today, each with the reason and who removes it. The test fails when one of them disappears
 * too (delete its line then), so the list cannot go stale.
 */
const ALLOWED_UP: Record<string, string> = {};

/** Cycles inside a folder allowed for now (none). */
const ALLOWED_CYCLES: string[] = [];

function libFiles(dir = LIB): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return libFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Relative module specifiers of a file: import / export ... from, side-effect imports, import() and require(). */
function specifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, ''); // comments may quote imports
  const patterns = [
    /\bfrom\s+'(\.[^']+)'/g,
    /\bimport\s+'(\.[^']+)'/g,
    /\bimport\(\s*'(\.[^']+)'\s*\)/g,
    /\brequire\(\s*'(\.[^']+)'\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...code.matchAll(pattern)].map((m) => m[1]));
}

function resolveImport(from: string, specifier: string): string {
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base.replace(/\.js$/, '.ts')]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  throw new Error(`${path.relative(LIB, from)}: cannot resolve '${specifier}'`);
}

const rel = (file: string): string => path.relative(LIB, file).split(path.sep).join('/');
const folderOf = (file: string): string => (rel(file).includes('/') ? rel(file).split('/')[0] : rel(file));

function layerOf(file: string): number {
  const key = folderOf(file);
  const layer = LAYERS.findIndex((names) => names.includes(key));
  if (layer < 0) throw new Error(`lib/${rel(file)}: its folder '${key}' has no place in LAYERS (test/imports.test.ts); add it`);
  return layer;
}

const edges: [string, string][] = libFiles().flatMap((file) => {
  const source = fs.readFileSync(file, 'utf8');
  return specifiers(source).map((s): [string, string] => [file, resolveImport(file, s)]);
});

/** Cycles among the files of one folder (Tarjan's strongly connected components of size > 1, or self-imports). */
function folderCycles(): string[][] {
  const next = new Map<string, string[]>();
  for (const [a, b] of edges) if (folderOf(a) === folderOf(b) && rel(a).includes('/')) next.set(a, [...(next.get(a) ?? []), b]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      component.push(rel(w));
    } while (w !== v);
    if (component.length > 1 || (next.get(v) ?? []).includes(v)) cycles.push(component.sort());
  };
  for (const file of next.keys()) if (!index.has(file)) visit(file);
  return cycles;
}

describe('imports in lib/', () => {
  it('finds the imports it checks (the parser is not blind)', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges.some(([a, b]) => rel(a) === 'train/srum.ts' && rel(b) === 'train/srum-objective.ts')).toBe(true);
    const sample = "import type { A } from './a';\n// import { z } from './z'\nexport { b } from '../b';\nconst c = require('./c');";
    expect(specifiers(sample)).toEqual(['./a', '../b', './c']);
  });

  it('point down the pipeline: no file imports from a later stage', () => {
    const up = edges.filter(([a, b]) => layerOf(b) > layerOf(a)).map(([a, b]) => `${rel(a)} -> ${rel(b)}`);
    const unexpected = [...new Set(up)].filter((arrow) => !(arrow in ALLOWED_UP));
    expect(unexpected, 'imports pointing up the pipeline (move the code to the layer that owns it)').toEqual([]);
    const stale = Object.keys(ALLOWED_UP).filter((arrow) => !up.includes(arrow));
    expect(stale, 'allowed upward arrows that no longer exist: delete them from ALLOWED_UP').toEqual([]);
  });

  it('form no cycle inside a folder', () => {
    const cycles = folderCycles().map((c) => c.join(' <-> '));
    expect(cycles.filter((c) => !ALLOWED_CYCLES.includes(c))).toEqual([]);
    expect(
      ALLOWED_CYCLES.filter((c) => !cycles.includes(c)),
      'allowed cycles that no longer exist',
    ).toEqual([]);
  });
});
