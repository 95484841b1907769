// `srum headroom`: pass@k of a model's own samples by the independent evaluator, against what its own judge finds
// (self best-of-k, precision and recall), on the evaluation protocol's prompts (lib/eval/headroom.ts).
import * as fs from 'node:fs';
import { initBackend } from '../backend/select';
import { readJsonl, writeFileAtomic, writeJsonAtomic } from '../io';
import { loadArm } from '../eval/compare';
import { headroom, type Candidate, type HeadroomNumbers } from '../eval/headroom';
import { autoWorkers, SamplerPool } from '../eval/pool';
import { DEFAULT_PROTOCOL, protocolImages } from '../eval/protocol';
import { disposeModel } from '../model/params';
import { Progress } from '../progress';
import { Command, intOption, numberOption, requireString } from './command';
import { protocolFromOptions } from './compare';

/** Images per resumable chunk of the candidates file. */
const CHUNK = 256;

export const headroomCommand: Command = {
  name: 'headroom',
  summary: "pass@k of a model's own samples (evaluator) and how much of it the model's own judge finds (self best-of-k)",
  options: {
    checkpoint: { type: 'string', help: 'checkpoint or `srum run` directory', default: 'data/base' },
    split: { type: 'string', help: 'prompt split (val: choose; test: once per final claim)', default: 'val' },
    'per-category': { type: 'string', help: 'distinct prompt texts per category at most', default: String(DEFAULT_PROTOCOL.perCategory) },
    draws: { type: 'string', help: 'draws per prompt (the largest k)', default: '8' },
    seed: { type: 'string', help: 'noise seed', default: String(DEFAULT_PROTOCOL.seed) },
    'plan-temperature': {
      type: 'string',
      help: 'think mode: sample every plan field at this temperature (0: the argmax plan)',
      default: '0',
    },
    candidates: { type: 'string', help: "JSONL of every candidate's scores (resumable: chunks already in it are kept)" },
    out: { type: 'string', help: 'report JSON (with the command that wrote it)' },
    workers: { type: 'string', help: 'sampling threads (auto: one per core on wasm)', default: 'auto' },
  },
  async run(values) {
    const protocol = protocolFromOptions(values);
    const planTemperature = numberOption(values, 'plan-temperature', 0);
    const ks = [1, 2, 4, 8].filter((k) => protocol.draws % k === 0 && k <= protocol.draws);
    const file = requireString(values, 'candidates');
    const images = protocolImages(protocol);
    // The candidates so far (whole chunks: each chunk is appended and the file rewritten atomically), then the rest.
    const candidates = fs.existsSync(file) ? readJsonl<Candidate>(file) : [];
    if (candidates.some((c, k) => c.noiseKey !== images[k]?.noiseKey))
      throw new Error(`${file} holds candidates of another protocol: remove it or pass another --candidates`);
    if (candidates.length < images.length) {
      await initBackend();
      const source = String(values.checkpoint);
      const model = loadArm(source);
      const pool = await SamplerPool.open(values.workers === 'auto' ? autoWorkers() : intOption(values, 'workers'));
      const bar = new Progress({ label: `candidates (${pool.size} threads)`, total: images.length, unit: 'img' });
      bar.tick(candidates.length);
      try {
        for (let first = candidates.length; first < images.length; first += CHUNK) {
          const chunk = images.slice(first, first + CHUNK);
          let last = 0;
          const scored = await pool.generate(
            model,
            chunk.map((i) => i.prompt),
            {
              seed: protocol.seed,
              noiseKeys: chunk.map((i) => i.noiseKey),
              batchSize: 32,
              planTemperature,
              evaluate: true,
              selfJudge: true,
              recordPlans: true,
              onProgress: (n) => {
                bar.tick(n - last);
                last = n;
              },
            },
          );
          const lines = chunk.map((image, k): Candidate => ({
            ...image,
            passed: scored.passed![k],
            selfPassed: scored.selfPassed![k],
            selfScore: scored.selfScore![k],
            plan: scored.plan![k],
          }));
          candidates.push(...lines);
          writeFileAtomic(file, candidates.map((l) => JSON.stringify(l)).join('\n') + '\n');
        }
      } finally {
        await pool.close();
        disposeModel(model);
      }
    }
    const report = headroom(candidates, ks);
    const pct = (x: number): string => x.toFixed(1).padStart(5);
    const row = (name: string, h: HeadroomNumbers): string =>
      `${name.padEnd(14)} ${String(h.n_prompts).padStart(4)}  ${h.pass_at_k.map(pct).join(' ')}   ` +
      `${h.self_best_of_k.map(pct).join(' ')}   ${h.distinct_plans_at_max.toFixed(2)}   ` +
      `${h.judge_precision.toFixed(2)} / ${h.judge_recall.toFixed(2)}`;
    console.log(`${protocol.split} split, ${report.n_prompts} prompts x ${protocol.draws} draws; k = ${ks.join(', ')}; percent`);
    console.log(
      `${''.padEnd(14)} ${'n'.padStart(4)}  ${'pass@k'.padEnd(6 * ks.length)}  ` +
        `${'self best-of-k'.padEnd(6 * ks.length)}  plans  precision / recall`,
    );
    console.log(row('overall', report));
    for (const [category, h] of Object.entries(report.by_category)) console.log(row(category, h));
    console.log(row('in-domain', report.in_domain));
    console.log(row('held-out pair', report.held_out));
    if (typeof values.out === 'string') {
      const command = `npx srum headroom ${process.argv.slice(3).join(' ')}`;
      const testLook = protocol.split === 'test' ? { test_split_looked_at: new Date().toISOString() } : {};
      // The field names beside the full report: the last k's distinct plans, each category's pass@1 and pass@k_max.
      const last = ks.length - 1;
      const atEnds = (h: HeadroomNumbers): Record<string, number> => ({
        pass_at_1: h.pass_at_k[0],
        [`pass_at_${ks[last]}`]: h.pass_at_k[last],
      });
      const byCategory = Object.fromEntries(Object.entries(report.by_category).map(([c, h]) => [c, { ...atEnds(h), ...h }]));
      writeJsonAtomic(values.out, {
        command,
        checkpoint: values.checkpoint,
        split: protocol.split,
        ...testLook,
        protocol,
        plan_temperature: planTemperature,
        ...report,
        [`distinct_plans_at_${ks[last]}`]: report.distinct_plans_at_max,
        by_category: byCategory,
      });
    }
  },
};
