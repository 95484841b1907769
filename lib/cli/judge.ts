// `srum judge`: judge candidate images into a rewards JSONL in the released training form.
//   --judge self (default): the model judges its own candidates (regions, self-verification, global + local
//     scores); the work is lib/run/judge.ts (judgeCandidates, shared with `srum run`).
//   --judge external: a VLM behind an OpenAI-compatible endpoint (base URL, model and key from the flags or
//     SRUM_JUDGE_BASE_URL / SRUM_JUDGE_MODEL / SRUM_JUDGE_API_KEY) answers the released prompts; its replies are
//     parsed robustly by default (--parse official for the released regexes); the work is
//     lib/judge/externalCandidates.ts. Prints what parsed: regions asked, regions scored, global parsed, attempts.
import { initBackend } from '../backend/select';
import { externalJudgeConfig, type ExternalJudgeConfig } from '../judge/external';
import { describeExternalRun, judgeCandidatesExternally } from '../judge/externalCandidates';
import { PARSE_MODES } from '../judge/parseModes';
import { disposeModel } from '../model/params';
import { judgeCandidates } from '../run/judge';
import { CANDIDATES_JSONL, loadCommandModel } from './candidates';
import { choiceOption, Command, intOption, requireString } from './command';
import { DEFAULT_CHECKPOINT } from './gap';

export type { SelfJudgedLine } from '../run/judge';

const JUDGES = ['self', 'external'] as const;
type Values = Record<string, string | boolean | undefined>;
function optionalString(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** The external judge's config from the flags, then SRUM_JUDGE_* variables (errors name what is missing). */
export function externalConfigFromFlags(values: Values, env: NodeJS.ProcessEnv = process.env): ExternalJudgeConfig {
  const baseUrl = optionalString(values, 'base-url');
  const model = optionalString(values, 'judge-model');
  const apiKey = optionalString(values, 'api-key');
  return externalJudgeConfig(
    {
      ...(baseUrl !== undefined ? { baseUrl } : {}),
      ...(model !== undefined ? { model } : {}),
      ...(apiKey !== undefined ? { apiKey } : {}),
      attempts: intOption(values, 'attempts', 3),
      timeoutMs: intOption(values, 'timeout-ms', 120_000),
      parseMode: choiceOption(values, 'parse', PARSE_MODES),
      clamp: values.clamp === true,
    },
    env,
  );
}

/** The flags of the external judge (shared with `srum run`). */
export const EXTERNAL_JUDGE_OPTIONS: Command['options'] = {
  'base-url': {
    type: 'string',
    help: 'external judge: OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1 (or SRUM_JUDGE_BASE_URL)',
  },
  'judge-model': { type: 'string', help: 'external judge: model name (or SRUM_JUDGE_MODEL)' },
  'api-key': { type: 'string', help: 'external judge: API key, sent as a Bearer token (or SRUM_JUDGE_API_KEY)' },
  parse: { type: 'string', help: `external judge: reply parser, ${PARSE_MODES.join(' or ')}`, default: 'robust' },
  clamp: { type: 'boolean', help: 'external judge: clamp parsed scores to [-1, 1] (released: kept as written)', default: false },
  attempts: { type: 'string', help: 'external judge: attempts per question while the reply does not parse', default: '3' },
  'timeout-ms': { type: 'string', help: 'external judge: timeout per request', default: '120000' },
};

export const judgeCommand: Command = {
  name: 'judge',
  summary: 'judge candidate images (self: regions, self-verification, global + local scores; or an external VLM) into a rewards JSONL',
  options: {
    images: { type: 'string', help: `candidates directory (holds ${CANDIDATES_JSONL})` },
    out: { type: 'string', help: 'rewards JSONL (appended; images already there are skipped)' },
    judge: { type: 'string', help: `who judges: ${JUDGES.join(' or ')}`, default: 'self' },
    checkpoint: { type: 'string', help: 'checkpoint directory', default: DEFAULT_CHECKPOINT },
    preset: { type: 'string', help: 'use an untrained model of this preset instead of --checkpoint (smoke runs)' },
    seed: { type: 'string', help: 'seed of --preset weights', default: '0' },
    'require-color': { type: 'boolean', help: 'self-verification also requires the keyword colour', default: false },
    ...EXTERNAL_JUDGE_OPTIONS,
    quiet: { type: 'boolean', help: 'no progress bar', default: false },
  },
  async run(values) {
    const imagesDir = requireString(values, 'images');
    const out = requireString(values, 'out');
    if (choiceOption(values, 'judge', JUDGES) === 'external') {
      const config = externalConfigFromFlags(values);
      const summary = await judgeCandidatesExternally({ config, imagesDir, out });
      console.log(`${describeExternalRun(summary)} with ${config.model} at ${config.baseUrl} (${config.parseMode} parser)`);
      return;
    }
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
