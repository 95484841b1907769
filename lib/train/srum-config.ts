// SRUM / SFT post-training settings: one typed record, a comment on every default, read alike by the library
// (trainSrum), the pipeline (lib/run/pipeline.ts) and the command line (`srum run --set key=value`).
// Unknown options are errors that list the known ones; the resolved config is written next to the run (config.json)
// and into its checkpoint.
//
// Two named recipes set what the method reads: `released` (the released code's values; these are the defaults) and
// `paper` (the paper's text). The scale-dependent settings (learning rate, warm-up, timestep shift) keep this
// toolkit's values in both: the paper's Table 5 numbers are for a 7B model at 512-1024 px (listed in each comment).
// Fields are grouped: the objective (Eq. 1-3 and the think term, lib/train/srum-objective.ts), the optimizer and
// schedule, the run. A later setting (replay of pretraining batches, a decaying rate, EMA warm-up) joins its group
// with a default that reproduces today's runs.
import { REWARD_MODES, type RewardMode } from '../reward/rewardMap';

export const SRUM_METHODS = ['srum', 'sft', 'replay'] as const;
export type SrumMethod = (typeof SRUM_METHODS)[number];
export const SRUM_REFERENCES = ['candidate', 'ground-truth'] as const;
export type SrumReference = (typeof SRUM_REFERENCES)[number];
export const PLAN_REWARDS = ['alpha', 'positive'] as const;
export type PlanReward = (typeof PLAN_REWARDS)[number];
export const REPLAY_SCOPES = ['all', 'understanding'] as const;
export type ReplayScope = (typeof REPLAY_SCOPES)[number];
export const REPLAY_MOMENTS = ['shared', 'own'] as const;
export type ReplayMoments = (typeof REPLAY_MOMENTS)[number];

export interface SrumConfig {
  // ---- The objective (lib/train/srum-objective.ts) ----
  /**
   * 'srum': L = L_r + lambdaC * L_ref with the reward map; 'sft': plain flow matching on the same candidates;
   * 'replay': no candidate loss at all, only the replayed pretraining updates (the control "post-training by itself").
   */
  method: SrumMethod;
  /**
   * Reward map (lib/reward/rewardMap.ts): 'official' (released), 'signed' (paper's R in [-1, 1]), and the ablations
   * 'local-only' (= "no global reward"), 'global-only' (= "sample-level reward"), 'sparse' (= 0-1 region rewards).
   */
  rewardMode: RewardMode;
  /**
   * Reference-term weight lambda_c (Eq. 3), the one name from `--lambda` / `--set lambdaC=` to the loss. 0.1 is the
   * released code's default; the paper's sweep picks 0.5. 0 = the no-reference ablation (SFT always uses 0).
   */
  lambdaC: number;
  /**
   * What L_ref (Eq. 2) regresses onto. 'candidate': the candidate itself (the released data recipe, x_good = x_bad).
   * 'ground-truth': the paper's "artifact-free latent x_0^gt", here a render of a world scene laid out for the
   * candidate's prompt (with that scene's plan for think-mode candidates), noised with the same t and eps in its own
   * forward pass. Why: fitting its own samples drifts the model (docs/srum-notes.md); an artifact-free anchor
   * keeps L_ref from adding to that drift. One more forward pass a step.
   */
  reference: SrumReference;
  /**
   * SRUM trains only on candidates whose global layout score g is above 0 (the judge's "this image follows the
   * prompt"); their regions still weight the loss through R. Reward-ranked fine-tuning (RAFT, ReST) rather than
   * pure weighting: the official map never goes below 0.5 x (g + 1) / 2, so every failure keeps some weight. SFT
   * ignores it (same candidates, R = 1). Not in the paper or the released code (false = as released).
   */
  positiveOnly: boolean;
  /**
   * Subtract the mean of R over all kept candidates (on the loss grid) before Eq. 1: L_r = E[(R - mean R) * err], a
   * policy-gradient baseline. Why: own samples carry the sampler's artefacts (CFG, Euler), and with R >= 0 every one of
   * them is imitated a little; centred weights cancel that pull in expectation and keep only what the reward
   * separates. Not in the paper or the released code (false = as released).
   */
  advantage: boolean;
  /**
   * CFG scale of the velocity the loss is taken on (1 = the conditional velocity, as released). Set to the candidates'
   * guidance scale, the loss asks the *sampler* (v_u + w (v_c - v_u)) to produce the candidates rather than the
   * conditional branch alone: a model trained on its own guided samples then does not have the guidance applied
   * twice when it is sampled with CFG again. One more forward pass a step. Not in the paper or the released code.
   * L_ref on a ground-truth x_0^gt keeps the conditional velocity: a render is data, not a guided sample.
   */
  lossGuidance: number;
  /**
   * Weight of the think term on think-mode candidates: cross-entropy of the plan head on the plan each candidate was
   * drawn from (its "think text"), weighted per candidate by planReward for 'srum' and by 1 for 'sft'. 0 = the
   * released objective, whose loss reads image tokens only. Why it exists: the plan head reads the same backbone, so
   * an image-only loss moves the planner with nobody checking it (docs/srum-notes.md).
   */
  planWeight: number;
  /**
   * Weight of the image loss (Eq. 3, L_r + lambdaC L_ref) in the candidate loss; 1 = as released. 0 with planWeight > 0
   * trains only the think term: what the candidates teach the planner, apart from what their pixels teach the drawing.
   */
  imageWeight: number;
  /**
   * How SRUM weighs a candidate's plan in the think term. 'alpha': (g + 1) / 2, the released layout factor. 'positive':
   * max(0, g), so only layouts the judge accepts are imitated. Why: with weights that never reach 0, the planner is
   * pulled towards every plan it sampled, and when 3 in 4 sampled plans are wrong (g < 0, alpha ~ 0.25) and 1 in 4
   * right (alpha ~ 0.75) the two pulls cancel. Not in the paper or the released code. SFT weighs every plan 1.
   */
  planReward: PlanReward;
  /**
   * 0: the think term joins the image loss in one update at the step's learning rate (through the backbone). > 0: the
   * think term is its own AdamW update at this peak rate (on the same schedule), reaching only the plan head and cell
   * decoder, as the base's planner stages trained. Why: at the post-training rate (1e-5) 200 steps move a planner that
   * was trained at 1e-3 hardly at all (docs/srum-notes.md, unbound captions); the backbone, and so the drawing and the
   * judge, keep the gentle rate. Not in the paper or the released code.
   */
  thinkLearningRate: number;
  /**
   * The think term's own update (thinkLearningRate > 0) also reaches the backbone: its gradient flows through the text
   * and plan-query path, as in pretraining's plan task, instead of stopping at the plan head. Why: a base whose
   * backbone learnt from captions that do not bind keeps no binding a plan head alone can read (docs/srum-notes.md,
   * backbone-unbound). The backbone also draws, so the drawing can move. Not in the paper or the released code.
   */
  thinkBackbone: boolean;

  // ---- Optimizer and schedule (paper Table 5, Bagel stage 4; sizes for the small model) ----
  /**
   * Peak learning rate after warm-up (paper: 2.5e-5 for the 7B Bagel). Post-training continues pretraining gently:
   * the shipped base's generation stages ended near 1e-5 (7e-4 and 1e-4 on cosines to a tenth), so no more than that.
   */
  learningRate: number;
  /** Linear warm-up steps from 0 to learningRate (paper: 500 at Bagel scale); also lets AdamW's fresh moments settle. */
  warmupSteps: number;
  /** After warm-up: 'cosine' decay to learningRate * minLearningRateRatio on the last step, or 'constant' (as released). */
  learningRateSchedule: 'cosine' | 'constant';
  /** Floor of the cosine, as a share of learningRate. */
  minLearningRateRatio: number;
  /** AdamW beta1 (paper: 0.9). */
  beta1: number;
  /** AdamW beta2 (paper: 0.95). */
  beta2: number;
  /** AdamW epsilon (paper: 1e-15, against loss spikes). */
  epsilon: number;
  /** AdamW decoupled weight decay (paper: 0). */
  weightDecay: number;
  /** Global gradient-norm clip (paper: 1.0). */
  clipNorm: number;
  /** EMA decay of the weights kept for evaluation (ema = decay * ema + (1 - decay) * w after every step). */
  emaDecay: number;
  /**
   * EMA warm-up: update n uses min(emaDecay, (1 + n) / (10 + n)), so a short run's evaluated weights are its own, not
   * mostly the base's (without it, 100 steps at 0.99 leave 37% of the base in the average).
   */
  emaWarmup: boolean;

  // ---- Replay of pretraining (continued pretraining, so post-training does no harm by itself) ----
  /**
   * Every step also runs the pretraining tasks (generation in normal and think mode, understanding, plan; lib/train/
   * tasks.ts) on fresh pretraining batches, each its own AdamW update at the step's learning rate times this weight;
   * 0 = none (as released). Fine-tuning on one narrow set of images alone forgets the rest (docs/srum-notes.md).
   */
  replayWeight: number;
  /** Pretraining examples per replayed task and step (generation and plan prompts; understanding images). */
  replayBatchSize: number;
  /**
   * The replayed plan loss reaches only the plan head (TrainConfig.planHeadOnly), as in the shipped base's last stages
   * (lib/train/stages.ts: its backbone last trained with the plan loss stopped at the head); false: through the backbone.
   */
  replayPlanHeadOnly: boolean;
  /**
   * Which pretraining tasks replay runs: 'all' (generation, understanding, plan) or 'understanding' (the understanding
   * heads and scene parse on train images alone). Why 'understanding': a think update through the backbone moves what the
   * understanding heads read (backbone-unbound: understanding -2.75 on test), while replaying generation and plan on the
   * base's own unbound captions would pull the planner back to what post-training is meant to fix.
   */
  replayScope: ReplayScope;
  /**
   * Whose AdamW moments the replay steps use. 'shared': post-training's own, so the backbone's first moment carries the
   * replayed gradient into every think or image step at that step's rate, and replayWeight sets little of the replay's
   * strength (understanding +1.05 at weight 0.03 and +1.30 at 1, -1.35 with none: docs/srum-notes.md). 'own': a
   * second AdamW over the same weights, kept in the checkpoint, so replayWeight x the step's rate is all the replay does.
   */
  replayMoments: ReplayMoments;

  // ---- The run ----
  /** Optimizer steps in the run. */
  steps: number;
  /** Candidates per step. */
  batchSize: number;
  /** Seed of the batch order, t, eps and text dropout (all derive from (seed, step), so resumes are exact). */
  seed: number;
  /** Timestep shift of training t (1 = none; 32 px images need none; paper: 4.0 at 512-1024 px). */
  timestepShift: number;
  /**
   * Lowest flow time of the candidate loss (Eqs. 1-2): its t is drawn as usual, then mapped from [0, 1] to
   * [minTimestep, 1] (t = 1 is pure noise). Why: coarse structure is fitted at high noise and pixel detail at low
   * noise, where the model's own samples carry its blur (docs/srum-notes.md: fitting own images cost ~2 points that
   * renders did not); the replayed pretraining keeps every t. 0 = as released.
   */
  minTimestep: number;
  /** Probability of dropping a prompt to PAD, so the CFG unconditional branch keeps training (as in pretraining). */
  textDropProb: number;
  /** Steps between log.jsonl lines. */
  logEvery: number;
  /** Steps between checkpoints (one is always written at the end and on SIGINT / SIGTERM). */
  checkpointEvery: number;
}

/** The defaults: the released code's method with optimizer sizes for the small model. */
export const DEFAULT_SRUM_CONFIG: SrumConfig = {
  method: 'srum',
  rewardMode: 'official', // released: the loader's map in [0, 1]
  lambdaC: 0.1, // released code default
  reference: 'candidate', // released data recipe: x_good = x_bad
  positiveOnly: false, // as released: every candidate trains
  advantage: false, // as released: R not centred
  lossGuidance: 1, // as released: the conditional velocity
  planWeight: 0, // as released: image tokens only
  planReward: 'alpha', // read only when planWeight > 0
  imageWeight: 1, // as released: the image loss in full
  thinkLearningRate: 0, // one update with the image loss
  thinkBackbone: false, // the think update stops at the plan head
  learningRate: 1e-5, // where pretraining ended (issue 33: 1e-4 constant cost 2-3 points by itself)
  warmupSteps: 20, // a few steps at this scale (paper: 500)
  learningRateSchedule: 'cosine', // released: constant
  minLearningRateRatio: 0.1, // as pretraining's cosine
  beta1: 0.9, // Table 5
  beta2: 0.95, // Table 5
  epsilon: 1e-15, // Table 5
  weightDecay: 0, // Table 5
  clipNorm: 1.0, // Table 5
  emaDecay: 0.99, // about the last 100 steps of a 200-step run
  emaWarmup: true, // the average starts from the run's own first steps
  replayWeight: 1, // one pretraining update per task per step
  replayBatchSize: 8, // half a candidate batch per task
  replayPlanHeadOnly: false, // as the base recipe's first stage (the measurement: docs/protocol-notes.md)
  replayScope: 'all', // every task the base pretrained on
  replayMoments: 'shared', // as every committed result was trained
  steps: 200, // 200 x 16 = ~12 passes over 256 candidates (lib/cli/run.ts)
  batchSize: 16,
  seed: 0,
  timestepShift: 1.0, // 32 px images need none
  minTimestep: 0, // as released: every t
  textDropProb: 0.1, // as in pretraining (lib/train/config.ts)
  logEvery: 10,
  checkpointEvery: 50,
};

export const SRUM_RECIPES = ['released', 'paper'] as const;
export type SrumRecipe = (typeof SRUM_RECIPES)[number];

/** What each recipe changes from the defaults (and why); user overrides apply on top. */
export const SRUM_RECIPE_OVERRIDES: Record<SrumRecipe, Partial<SrumConfig>> = {
  /** The released code (reference/official-srum.md): the defaults above. */
  released: {},
  /** The paper's text (Sec. 3.3, Fig. 3): R in [-1, 1] times alpha, lambda_c = 0.5 from its sweep, an artifact-free x_0^gt. */
  paper: { rewardMode: 'signed', lambdaC: 0.5, reference: 'ground-truth' },
};

/** The allowed values of the fields that take one of a few words (the rest are numbers or booleans). */
export const SRUM_CHOICES: Partial<Record<keyof SrumConfig, readonly string[]>> = {
  method: SRUM_METHODS,
  rewardMode: REWARD_MODES,
  reference: SRUM_REFERENCES,
  planReward: PLAN_REWARDS,
  replayScope: REPLAY_SCOPES,
  replayMoments: REPLAY_MOMENTS,
  learningRateSchedule: ['cosine', 'constant'],
};

const POSITIVE_INTEGERS = ['steps', 'batchSize', 'logEvery', 'checkpointEvery', 'replayBatchSize'] as const;

/** Recipe defaults plus overrides; throws on an unknown option or a bad value, naming the known ones. */
export function resolveSrumConfig(overrides: Record<string, unknown> = {}, recipe: SrumRecipe = 'released'): SrumConfig {
  if (!(recipe in SRUM_RECIPE_OVERRIDES)) throw new Error(`unknown SRUM recipe '${String(recipe)}' (known: ${SRUM_RECIPES.join(', ')})`);
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in DEFAULT_SRUM_CONFIG)) {
      throw new Error(`unknown SRUM option '${key}' (known: ${Object.keys(DEFAULT_SRUM_CONFIG).join(', ')})`);
    }
    const expected = typeof DEFAULT_SRUM_CONFIG[key as keyof SrumConfig];
    if (typeof value !== expected || (expected === 'number' && !Number.isFinite(value))) {
      throw new Error(`SRUM option '${key}' must be a finite ${expected}, got ${JSON.stringify(value)}`);
    }
  }
  const config: SrumConfig = { ...DEFAULT_SRUM_CONFIG, ...SRUM_RECIPE_OVERRIDES[recipe], ...(overrides as Partial<SrumConfig>) };
  for (const [key, choices] of Object.entries(SRUM_CHOICES)) {
    const value = config[key as keyof SrumConfig];
    if (!choices.includes(String(value))) {
      throw new Error(`SRUM option '${key}' must be one of ${choices.join(', ')}, got '${String(value)}'`);
    }
  }
  for (const key of POSITIVE_INTEGERS) {
    if (!Number.isInteger(config[key]) || config[key] <= 0) {
      throw new Error(`SRUM option '${key}' must be a positive integer, got ${config[key]}`);
    }
  }
  const check = (ok: boolean, key: keyof SrumConfig, rule: string): void => {
    if (!ok) throw new Error(`SRUM option '${key}' must ${rule}, got ${String(config[key])}`);
  };
  check(Number.isInteger(config.warmupSteps) && config.warmupSteps >= 0, 'warmupSteps', 'be a non-negative integer');
  check(Number.isInteger(config.seed), 'seed', 'be an integer');
  check(config.learningRate > 0, 'learningRate', 'be positive');
  check(config.emaDecay >= 0 && config.emaDecay < 1, 'emaDecay', 'lie in [0, 1)');
  check(config.planWeight >= 0, 'planWeight', 'be >= 0');
  check(config.imageWeight >= 0, 'imageWeight', 'be >= 0');
  check(config.imageWeight > 0 || config.planWeight > 0 || config.method === 'replay', 'imageWeight', 'be > 0 unless planWeight > 0');
  check(config.thinkLearningRate >= 0, 'thinkLearningRate', 'be >= 0');
  check(!config.thinkBackbone || config.thinkLearningRate > 0, 'thinkBackbone', 'need thinkLearningRate > 0 (it is that update)');
  check(config.lossGuidance >= 1, 'lossGuidance', 'be >= 1');
  check(config.minTimestep >= 0 && config.minTimestep < 1, 'minTimestep', 'lie in [0, 1)');
  check(config.lambdaC >= 0, 'lambdaC', 'be >= 0');
  check(config.replayWeight >= 0, 'replayWeight', 'be >= 0');
  check(config.minLearningRateRatio >= 0 && config.minLearningRateRatio <= 1, 'minLearningRateRatio', 'lie in [0, 1]');
  check(
    config.method !== 'replay' || config.replayWeight > 0,
    'replayWeight',
    'be > 0 with method replay (there is nothing else to train)',
  );
  return config;
}

/**
 * Linear warm-up to learningRate over warmupSteps, then a cosine to learningRate * minLearningRateRatio on the last step (or
 * constant, as released). `step` is 0-based.
 */
export function srumLearningRate(step: number, config: SrumConfig): number {
  if (step < config.warmupSteps) return (config.learningRate * (step + 1)) / config.warmupSteps;
  if (config.learningRateSchedule === 'constant') return config.learningRate;
  const span = Math.max(1, config.steps - 1 - config.warmupSteps);
  const progress = Math.min(1, (step - config.warmupSteps) / span);
  const floor = config.learningRate * config.minLearningRateRatio;
  return floor + 0.5 * (config.learningRate - floor) * (1 + Math.cos(Math.PI * progress));
}
