// `srum run`: the whole SRUM (or SFT) loop end to end in one resumable command (lib/run/pipeline.ts), ending in
// runs/NAME/summary.json with CompBench-mini / GenEval-mini (independent evaluator, points 0-100) and understanding
// accuracy (percent) for the base and the trained (EMA) model.
// Every setting lives in lib/run/config.ts (the pipeline's) and lib/train/srum-config.ts (the training's), with its
// default and why; `--set key=value,...` sets any of them, `--recipe paper` starts from the paper's values, and the
// flags below are shorthands for the settings people change most (`--lambda` is lambdaC).
// Measured on the 2-core machine (wasm, base model, defaults): candidates ~1 s per image, judging ~0.06 s, training
// ~2.1 s per step, each evaluation ~4 min: ~20 min in all. --preset tiny is the smoke-test model.
import { initBackend } from '../backend/select';
import { disposeModel } from '../model/params';
import {
  DEFAULT_PIPELINE_CONFIG,
  parseRunSettings,
  resolveRunConfig,
  settingChoices,
  type RunConfig,
  type SettingValue,
} from '../run/config';
import { runPipeline } from '../run/pipeline';
import { DEFAULT_SRUM_CONFIG, SRUM_RECIPES, type SrumRecipe } from '../train/srum-config';
import { loadCommandModel } from './candidates';
import { choiceOption, Command, OptionSpec, THINK_OPTION, type Values } from './command';
import { DEFAULT_CHECKPOINT } from './gap';
import { EXTERNAL_JUDGE_OPTIONS, externalConfigFromFlags } from './judge';

/** A shorthand flag: the setting it sets and its help line (the default shown is the setting's). */
interface Shorthand {
  key: string;
  help: string;
  boolean?: true;
}

const DEFAULTS: Record<string, SettingValue> = { ...DEFAULT_SRUM_CONFIG, ...DEFAULT_PIPELINE_CONFIG };

export const RUN_SHORTHANDS: Record<string, Shorthand> = {
  method: { key: 'method', help: 'srum or sft' },
  lambda: { key: 'lambdaC', help: 'reference-term weight lambda_c (Eq. 3)' },
  mode: { key: 'rewardMode', help: `reward-map mode (${settingChoices('rewardMode').join(', ')})` },
  seed: { key: 'seed', help: 'seed of candidates and training (and of --preset weights)' },
  steps: { key: 'steps', help: 'training steps' },
  'batch-size': { key: 'batchSize', help: 'candidates per training step' },
  lr: { key: 'learningRate', help: "learning rate after warm-up (the paper's Table 5: 2.5e-5)" },
  'plan-weight': { key: 'planWeight', help: "think term: plan cross-entropy on each think-mode candidate's own plan (0: none)" },
  'plan-reward': { key: 'planReward', help: "the think term's weight on a candidate's plan: alpha = (g + 1) / 2 or positive = max(0, g)" },
  'positive-only': { key: 'positiveOnly', boolean: true, help: 'SRUM trains only on candidates whose global layout score is above 0' },
  advantage: { key: 'advantage', boolean: true, help: 'subtract the mean reward from R before weighting the loss (a baseline)' },
  'loss-guidance': { key: 'lossGuidance', help: 'CFG scale of the velocity the loss is taken on (1 = conditional, as released)' },
  reference: { key: 'reference', help: 'what L_ref regresses onto: candidate (as released) or ground-truth (a render of the prompt)' },
  'n-candidates': { key: 'nCandidates', help: 'candidate images to generate and judge' },
  'candidate-steps': { key: 'candidateSteps', help: 'Euler steps of candidate generation' },
  'candidate-guidance': { key: 'candidateGuidance', help: "CFG scale of candidate generation (1 = the model's own conditional)" },
  'candidate-prompts': { key: 'candidatePrompts', help: 'where candidate prompts come from: train (as released) or held-out' },
  'plan-temperature': { key: 'planTemperature', help: "think-mode candidates: draw each plan's shapes at this temperature (0 = argmax)" },
  think: { key: 'think', help: THINK_OPTION.help },
  'eval-n': { key: 'evalN', help: 'prompts per benchmark (and scenes for understanding)' },
  'eval-split': { key: 'evalSplit', help: 'prompt split of the evaluations: test, or val when choosing settings' },
  'eval-seed': { key: 'evalSeed', help: 'seed of evaluation prompts and noise (same for base and trained)' },
};

function shorthandSpec(flag: string, { key, help, boolean }: Shorthand): OptionSpec {
  const fallback = flag === 'think' ? (DEFAULTS.think ? 'on' : 'off') : String(DEFAULTS[key]);
  return { type: boolean ? 'boolean' : 'string', help: `${help} [= --set ${key}=]`, shownDefault: fallback };
}

/** The settings the flags of one invocation give: shorthands and --set, a setting given twice is an error. */
export function runConfigFromArgs(values: Values): { config: RunConfig; recipe: SrumRecipe } {
  const recipe = String(values.recipe ?? 'released') as SrumRecipe;
  if (!(SRUM_RECIPES as readonly string[]).includes(recipe)) {
    throw new Error(`--recipe must be one of ${SRUM_RECIPES.join(', ')}, got ${recipe}`);
  }
  const settings: Record<string, SettingValue> = typeof values.set === 'string' ? parseRunSettings(values.set) : {};
  for (const [flag, shorthand] of Object.entries(RUN_SHORTHANDS)) {
    const given = values[flag];
    if (given === undefined || given === false) continue;
    const { key } = shorthand;
    if (key in settings) throw new Error(`--${flag} and --set ${key}= both set ${key}: give it once`);
    const choices = flag === 'think' ? ['on', 'off'] : settingChoices(key);
    if (choices.length > 0 && !choices.includes(String(given))) {
      throw new Error(`--${flag} must be one of ${choices.join(', ')}, got ${String(given)}`);
    }
    if (flag === 'think') settings[key] = given === 'on';
    else if (given === true) settings[key] = true;
    else settings[key] = parseRunSettings(`${key}=${given}`, `--${flag}`)[key];
  }
  return { config: resolveRunConfig(settings, recipe), recipe };
}

const shorthandOptions = Object.fromEntries(Object.entries(RUN_SHORTHANDS).map(([flag, s]) => [flag, shorthandSpec(flag, s)]));

export const runCommand: Command = {
  name: 'run',
  summary: 'SRUM or SFT end to end: candidates -> judge -> reward maps -> training -> evaluation (resumable)',
  options: {
    out: { type: 'string', help: 'run directory, e.g. runs/srum-s0' },
    checkpoint: { type: 'string', help: 'base checkpoint directory', default: DEFAULT_CHECKPOINT },
    preset: { type: 'string', help: 'use a freshly initialised model of this preset instead of --checkpoint (smoke runs)' },
    recipe: { type: 'string', help: 'starting values: released (the released code) or paper (srum-config.ts)', shownDefault: 'released' },
    set: { type: 'string', help: 'any setting, key=value[,key=value]: e.g. lambdaC=0.5,rewardMode=signed,evalN=56' },
    ...shorthandOptions,
    judge: { type: 'string', help: 'who judges the candidates: self or external (an OpenAI-compatible VLM: srum judge)', default: 'self' },
    ...EXTERNAL_JUDGE_OPTIONS,
    quiet: { type: 'boolean', help: 'no progress display', default: false },
  },
  notes: [
    `--set keys (training, lib/train/srum-config.ts): ${Object.keys(DEFAULT_SRUM_CONFIG).join(', ')}`,
    `--set keys (pipeline, lib/run/config.ts): ${Object.keys(DEFAULT_PIPELINE_CONFIG).join(', ')}`,
  ],
  async run(values) {
    const { config } = runConfigFromArgs(values);
    if (typeof values.out !== 'string' || values.out === '') throw new Error('missing required option --out');
    const dir = values.out;
    const external = choiceOption(values, 'judge', ['self', 'external'] as const) === 'external';
    const externalJudge = external ? externalConfigFromFlags(values) : undefined;
    // The external judge's flags are recorded only when it judges, and its API key never.
    const judgeFlag = (k: string): boolean => k === 'judge' || k in EXTERNAL_JUDGE_OPTIONS;
    const unused = (k: string): boolean =>
      (k === 'checkpoint' && typeof values.preset === 'string') || (!external && judgeFlag(k)) || k === 'api-key';
    const given = Object.entries(values).filter(([k, v]) => v !== undefined && v !== false && !unused(k));
    const command = ['srum run', ...given.map(([k, v]) => (v === true ? `--${k}` : `--${k} ${v}`))].join(' ');
    await initBackend();
    const { model, source, preset } = loadCommandModel({ ...values, seed: String(config.srum.seed) });
    const started = Date.now();
    try {
      const quiet = values.quiet === true;
      const judge = externalJudge ? { externalJudge } : {};
      const summary = await runPipeline({ model, preset, source, dir, config, command, quiet, ...judge });
      const fmt = (x: number): string => x.toFixed(1).padStart(5);
      const { method, rewardMode, lambdaC, seed } = config.srum;
      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      console.log(`${method} (${rewardMode}, lambda ${lambdaC}, seed ${seed}) in ${dir}, ${seconds} s this invocation`);
      console.log(`                 base  trained`);
      console.log(`CompBench-mini  ${fmt(summary.base.compbench.overall)}  ${fmt(summary.trained.compbench.overall)}`);
      console.log(`GenEval-mini    ${fmt(summary.base.geneval.overall)}  ${fmt(summary.trained.geneval.overall)}`);
      console.log(`understanding   ${fmt(summary.base.understanding)}  ${fmt(summary.trained.understanding)}  (%)`);
    } finally {
      disposeModel(model);
    }
  },
};
