import { readPng } from '../lib/world/png';
import { detectObjects } from '../lib/eval/objects';
import { describeObject } from '../lib/eval/evaluate';
for (const f of process.argv.slice(2)) {
  const d = detectObjects(readPng(f));
  console.log(f, JSON.stringify(Object.keys(d)));
  for (const o of d.objects) console.log('  ', describeObject(o), JSON.stringify({ ...o, pixels: undefined }).slice(0, 300));
}
