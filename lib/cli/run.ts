// `srum run`: the whole SRUM (or SFT) loop end to end in one resumable command (lib/run/pipeline.ts), ending in
// runs/NAME/summary.json with CompBench-mini / GenEval-mini (independent evaluator, points 0-100) and understanding
// accuracy (percent) for the base and the trained (EMA) model.
// Defaults (--n-candidates 256, --steps 200 at batch 16, --eval-n 112 = 14 per CompBench category, candidates with
// 25 Euler steps). 256 candidates: 200 x 16 samples pass over each candidate ~12 times (64 would be 50 passes over a
// few dozen images). Measured on the 2-core machine (wasm, base model): candidates ~1 s per image, judging ~0.06 s,
// training ~2.1 s per step, each evaluation ~4 min: ~20 min in all. --preset tiny is the smoke-test model.
import { initBackend } from '../backend/select';
import { DEFAULT_SAMPLING } from '../generate/generate';
import { disposeModel } from '../model/params';
import { REWARD_MODES } from '../reward/rewardMap';
import { CANDIDATE_PROMPT_SETS } from '../run/candidates';
import { runPipeline } from '../run/pipeline';
import { DEFAULT_SRUM_CONFIG, PLAN_REWARDS, SRUM_REFERENCES } from '../train/srum-config';
import { loadCommandModel } from './candidates';
import { choiceOption, Command, EVAL_SPLITS, intOption, numberOption, requireString, THINK_OPTION, thinkOption } from './command';
import { DEFAULT_CHECKPOINT } from './gap';

export const runCommand: Command = {
  name: 'run',
  summary: 'SRUM or SFT end to end: candidates -> judge -> reward maps -> training -> evaluation (resumable)',
  options: {
    method: { type: 'string', help: 'srum or sft', default: 'srum' },
    lambda: { type: 'string', help: 'reference-term weight lambda_c', default: String(DEFAULT_SRUM_CONFIG.lambdaC) },
    mode: { type: 'string', help: `reward-map mode (${REWARD_MODES.join(', ')})`, default: DEFAULT_SRUM_CONFIG.rewardMode },
    seed: { type: 'string', help: 'seed of candidates and training (and of --preset weights)', default: '0' },
    out: { type: 'string', help: 'run directory, e.g. runs/srum-s0' },
    checkpoint: { type: 'string', help: 'base checkpoint directory', default: DEFAULT_CHECKPOINT },
    preset: { type: 'string', help: 'use a freshly initialised model of this preset instead of --checkpoint (smoke runs)' },
    'n-candidates': { type: 'string', help: 'candidate images to generate and judge', default: '256' },
    steps: { type: 'string', help: 'training steps', default: String(DEFAULT_SRUM_CONFIG.steps) },
    'batch-size': { type: 'string', help: 'candidates per training step', default: String(DEFAULT_SRUM_CONFIG.batchSize) },
    lr: { type: 'string', help: 'learning rate after warm-up (the paper\'s Table 5: 2.5e-5)', default: String(DEFAULT_SRUM_CONFIG.learningRate) },
    'plan-weight': { type: 'string', help: 'think term: plan cross-entropy on each think-mode candidate\'s own plan, weighted by its layout reward (SRUM) or 1 (SFT); 0 = the released image-only loss', default: String(DEFAULT_SRUM_CONFIG.planWeight) },
    'positive-only': { type: 'boolean', help: 'SRUM trains only on candidates whose global layout score is above 0 (reward-ranked fine-tuning; not in the paper or the released code)', default: false },
    advantage: { type: 'boolean', help: 'subtract the mean reward from R before weighting the loss (a policy-gradient baseline; not in the paper or the released code)', default: false },
    think: THINK_OPTION,
    'loss-guidance': { type: 'string', help: 'CFG scale of the velocity the loss is taken on (1 = conditional, as released; the candidates\' scale = train the sampler itself)', default: String(DEFAULT_SRUM_CONFIG.lossGuidance) },
    reference: { type: 'string', help: `what L_ref regresses onto: candidate (as released, x_good = x_bad) or ground-truth (the paper's artifact-free x0_gt: a world render of the candidate's prompt)`, default: DEFAULT_SRUM_CONFIG.reference },
    'candidate-steps': { type: 'string', help: 'Euler steps of candidate generation', default: String(DEFAULT_SAMPLING.steps) },
    'candidate-prompts': { type: 'string', help: `where candidate prompts come from: train (as released) or held-out (validation prompts naming a colour-shape pair held out of pretraining; text only)`, default: 'train' },
    'plan-temperature': { type: 'string', help: 'think-mode candidates: draw each plan\'s shapes at this temperature (0 = the most likely plan, as released); exploration for --plan-weight', default: '0' },
    'plan-reward': { type: 'string', help: `SRUM's weight on a candidate's plan in the think term: alpha = (g + 1) / 2 or positive = max(0, g)`, default: DEFAULT_SRUM_CONFIG.planReward },
    'candidate-guidance': { type: 'string', help: 'CFG scale of candidate generation (1 = the model\'s own conditional, no guidance)', default: String(DEFAULT_SAMPLING.guidanceScale) },
    'eval-n': { type: 'string', help: 'prompts per benchmark (and scenes for understanding)', default: '112' },
    'eval-split': { type: 'string', help: 'prompt split of the evaluations: test, or val when choosing settings (lambda, mode, steps)', default: 'test' },
    'eval-seed': { type: 'string', help: 'seed of evaluation prompts and noise (same for base and trained)', default: '11' },
    quiet: { type: 'boolean', help: 'no progress display', default: false },
  },
  async run(values) {
    const method = choiceOption(values, 'method', ['srum', 'sft'] as const);
    const mode = choiceOption(values, 'mode', REWARD_MODES);
    const reference = choiceOption(values, 'reference', SRUM_REFERENCES);
    const candidatePrompts = choiceOption(values, 'candidate-prompts', CANDIDATE_PROMPT_SETS);
    const planReward = choiceOption(values, 'plan-reward', PLAN_REWARDS);
    const dir = requireString(values, 'out');
    const evalSplit = choiceOption(values, 'eval-split', EVAL_SPLITS);
    const positive = (name: string): number => {
      const value = intOption(values, name);
      if (value < 1) throw new Error(`--${name} must be positive, got ${value}`);
      return value;
    };
    const options = {
      nCandidates: positive('n-candidates'), trainSteps: positive('steps'), evalN: positive('eval-n'), candidateSteps: positive('candidate-steps'),
      batchSize: positive('batch-size'), seed: intOption(values, 'seed'), evalSeed: intOption(values, 'eval-seed'), lambdaC: numberOption(values, 'lambda', DEFAULT_SRUM_CONFIG.lambdaC),
      learningRate: numberOption(values, 'lr', DEFAULT_SRUM_CONFIG.learningRate),
      planWeight: numberOption(values, 'plan-weight', DEFAULT_SRUM_CONFIG.planWeight),
      lossGuidance: numberOption(values, 'loss-guidance', DEFAULT_SRUM_CONFIG.lossGuidance),
      candidateGuidance: numberOption(values, 'candidate-guidance', DEFAULT_SAMPLING.guidanceScale),
      planTemperature: numberOption(values, 'plan-temperature', 0),
    };
    if (!(options.learningRate > 0)) throw new Error(`--lr must be positive, got ${options.learningRate}`);
    const command = ['srum run', ...Object.entries(values).filter(([k, v]) => v !== undefined && v !== false && !(k === 'checkpoint' && typeof values.preset === 'string')).map(([k, v]) => (v === true ? `--${k}` : `--${k} ${v}`))].join(' ');
    await initBackend();
    const { model, source, preset } = loadCommandModel(values);
    const started = Date.now();
    try {
      const summary = await runPipeline({
        model, preset, source, dir, method, mode, command, quiet: values.quiet === true,
        lambdaC: options.lambdaC, seed: options.seed, nCandidates: options.nCandidates, trainSteps: options.trainSteps,
        evalN: options.evalN, evalSeed: options.evalSeed, evalSplit, candidateSteps: options.candidateSteps, candidateGuidance: options.candidateGuidance, candidatePrompts, planTemperature: options.planTemperature, think: thinkOption(values), trainOverrides: { batchSize: options.batchSize, learningRate: options.learningRate, planWeight: options.planWeight, advantage: values.advantage === true, positiveOnly: values['positive-only'] === true, lossGuidance: options.lossGuidance, reference, planReward },
      });
      const fmt = (x: number): string => x.toFixed(1).padStart(5);
      console.log(`${method} (${mode}, lambda ${options.lambdaC}, seed ${options.seed}) in ${dir}, ${((Date.now() - started) / 1000).toFixed(0)} s this invocation`);
      console.log(`                 base  trained`);
      console.log(`CompBench-mini  ${fmt(summary.base.compbench.overall)}  ${fmt(summary.trained.compbench.overall)}`);
      console.log(`GenEval-mini    ${fmt(summary.base.geneval.overall)}  ${fmt(summary.trained.geneval.overall)}`);
      console.log(`understanding   ${fmt(summary.base.understanding)}  ${fmt(summary.trained.understanding)}  (%)`);
    } finally {
      disposeModel(model);
    }
  },
};
