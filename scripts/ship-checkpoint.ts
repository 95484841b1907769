// Copy a training run's checkpoint into data/ for shipping: the weights and the manifest, without the optimizer
// moments (twice the weights' size; a later stage starts its own optimizer anyway: pretrain --init-from).
// Usage: npx ts-node --transpile-only scripts/ship-checkpoint.ts --from runs/base --to data/base
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { writeJsonAtomic } from '../lib/io';
import { MANIFEST_FILE, readManifest } from '../lib/model/checkpoint';

const { values } = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string', default: 'data/base' } }, strict: true });
if (values.from === undefined) throw new Error('--from DIR is required (a run directory with a checkpoint)');
const manifest = readManifest(values.from);
fs.mkdirSync(values.to, { recursive: true });
for (const file of fs.readdirSync(values.to)) if (/^(weights|optimizer)-\d+\.bin$/.test(file)) fs.rmSync(path.join(values.to, file));
fs.copyFileSync(path.join(values.from, manifest.weights.file), path.join(values.to, manifest.weights.file));
const { optimizer: _dropped, ...shipped } = manifest;
writeJsonAtomic(path.join(values.to, MANIFEST_FILE), shipped);
console.log(`shipped step ${manifest.step} of ${values.from} to ${values.to} (${(manifest.weights.bytes / 1e6).toFixed(1)} MB of weights)`);
