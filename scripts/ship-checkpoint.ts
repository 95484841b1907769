// Copy a training run's checkpoint into data/ for shipping: the weights and the manifest, without the optimizer
// moments (twice the weights' size; a later stage starts its own optimizer anyway: pretrain --init-from).
// With --ema the run's EMA weights (pretrain emaDecay > 0; lib/train/ema.ts) become the shipped weights, and the
// manifest records that (data.weights: 'ema').
// Usage: npx ts-node --transpile-only scripts/ship-checkpoint.ts --from runs/base --to data/base [--ema]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { writeJsonAtomic } from '../lib/io';
import { MANIFEST_FILE, readManifest } from '../lib/model/checkpoint';
import type { EmaEntry } from '../lib/train/ema';

const { values } = parseArgs({
  options: { from: { type: 'string' }, to: { type: 'string', default: 'data/base' }, ema: { type: 'boolean', default: false } },
  strict: true,
});
if (values.from === undefined) throw new Error('--from DIR is required (a run directory with a checkpoint)');
const manifest = readManifest(values.from);
const ema = manifest.data.ema as EmaEntry | undefined;
if (values.ema && ema === undefined) throw new Error(`${values.from} keeps no EMA (train it with --set emaDecay=...)`);
fs.mkdirSync(values.to, { recursive: true });
for (const file of fs.readdirSync(values.to)) if (/^(weights|optimizer|ema)-\d+\.bin$/.test(file)) fs.rmSync(path.join(values.to, file));
const source = values.ema ? ema!.file : manifest.weights.file;
fs.copyFileSync(path.join(values.from, source), path.join(values.to, manifest.weights.file));
const { optimizer: _dropped, ...shipped } = manifest;
const { ema: _ema, ...data } = manifest.data;
const weights = values.ema ? { ...manifest.weights, sha256: ema!.sha256, bytes: ema!.bytes } : manifest.weights;
writeJsonAtomic(path.join(values.to, MANIFEST_FILE), {
  ...shipped,
  weights,
  data: { ...data, weights: values.ema ? 'ema' : 'raw', ...(values.ema ? { ema_decay: ema!.decay } : {}) },
});
console.log(`shipped step ${manifest.step} of ${values.from} to ${values.to} (${(manifest.weights.bytes / 1e6).toFixed(1)} MB of weights)`);
