// `srum judge`: the model judges its own candidates (regions, self-verification, global + local scores) into a
// rewards JSONL in the released training form; the work is lib/run/judge.ts (judgeCandidates, shared with
// `srum run`), which documents the record layout and resume.
import { initBackend } from '../backend/select';
import { disposeModel } from '../model/params';
import { judgeCandidates } from '../run/judge';
import { CANDIDATES_JSONL, loadCommandModel } from './candidates';
import { Command, requireString } from './command';
import { DEFAULT_CHECKPOINT } from './gap';

export type { SelfJudgedLine } from '../run/judge';

export const judgeCommand: Command = {
  name: 'judge',
  summary: 'self-judge candidate images (regions, self-verification, global + local scores) into a rewards JSONL',
  options: {
    images: { type: 'string', help: `candidates directory (holds ${CANDIDATES_JSONL})` },
    out: { type: 'string', help: 'rewards JSONL (appended; images already there are skipped)' },
    checkpoint: { type: 'string', help: 'checkpoint directory', default: DEFAULT_CHECKPOINT },
    preset: { type: 'string', help: 'use an untrained model of this preset instead of --checkpoint (smoke runs)' },
    seed: { type: 'string', help: 'seed of --preset weights', default: '0' },
    'require-color': { type: 'boolean', help: 'self-verification also requires the keyword colour', default: false },
    quiet: { type: 'boolean', help: 'no progress bar', default: false },
  },
  async run(values) {
    const imagesDir = requireString(values, 'images');
    const out = requireString(values, 'out');
    await initBackend();
    const { model, source } = loadCommandModel(values);
    try {
      const r = judgeCandidates({ model, imagesDir, out, requireColor: values['require-color'] === true, quiet: values.quiet === true });
      const summary = r.judged > 0 ? `; mean global ${r.meanGlobal.toFixed(3)}, mean kept regions ${r.meanKeptRegions.toFixed(2)}` : '';
      console.log(`judged ${r.judged} images (${r.already} already in ${out}) with ${source}${summary}`);
    } finally {
      disposeModel(model);
    }
  },
};
