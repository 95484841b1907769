// SRUM / SFT post-training configuration: one typed record, a comment per field, ablation switches included.
// Unknown options are errors; the resolved config is written next to the run (config.json) and into its checkpoint.
// Optimizer settings follow the paper's Table 5 (Bagel stage 4); step counts and rates are sized for the small model.
import { isRewardMode, REWARD_MODES, type RewardMode } from '../reward/rewardMap';

export type SrumMethod = 'srum' | 'sft';
export const SRUM_REFERENCES = ['candidate', 'ground-truth'] as const;
export type SrumReference = (typeof SRUM_REFERENCES)[number];

export const PLAN_REWARDS = ['alpha', 'positive'] as const;
export type PlanReward = (typeof PLAN_REWARDS)[number];

export interface SrumConfig {
  /** 'srum': L = L_r + lambdaC * L_ref with the reward map; 'sft': plain flow matching on the same candidates. */
  method: SrumMethod;
  /**
   * Reward map (lib/reward/rewardMap.ts): 'official' (released), 'signed' (paper's R in [-1, 1]), and the ablations
   * 'local-only' (= "no global reward"), 'global-only' (= "sample-level reward"), 'sparse' (= 0-1 region rewards).
   */
  rewardMode: RewardMode;
  /** Reference-term weight lambda_c. 0.1 is the released code's default; the paper's sweep picks 0.5. */
  lambdaC: number;
  /** Ablation "no KL / reference constraint": forces lambdaC to 0. */
  noReference: boolean;
  /**
   * Weight of the think term on think-mode candidates: cross-entropy of the plan head on the plan each candidate was
   * drawn from (its "think text"), weighted per candidate by the global layout reward (g + 1) / 2 for 'srum' and by
   * 1 for 'sft'. 0 = the released objective, whose loss reads image tokens only. Why it exists: the plan head reads
   * the same backbone, so an image-only loss moves the planner with nobody checking it (docs/srum-notes.md).
   */
  planWeight: number;
  /**
   * How SRUM weighs a candidate's plan in the think term. 'alpha': (g + 1) / 2, the released layout factor. 'positive':
   * max(0, g), so only layouts the judge accepts are imitated. Why: with weights that never reach 0, the planner is
   * pulled towards every plan it sampled, and when 3 in 4 sampled plans are wrong (g < 0, alpha ~ 0.25) and 1 in 4
   * right (alpha ~ 0.75) the two pulls cancel. Not in the paper or the released code. SFT weighs every plan 1.
   */
  planReward: PlanReward;
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
   */
  lossGuidance: number;
  /**
   * SRUM trains only on candidates whose global layout score g is above 0 (the judge's "this image follows the
   * prompt"); their regions still weight the loss through R. Reward-ranked fine-tuning (RAFT, ReST) rather than
   * pure weighting: the official map never goes below 0.5 x (g + 1) / 2, so every failure keeps some weight. SFT
   * ignores it (same candidates, R = 1). Not in the paper or the released code (false = as released).
   */
  positiveOnly: boolean;
  /**
   * What L_ref (Eq. 2) regresses onto. 'candidate': the candidate itself (the released data recipe, x_good = x_bad).
   * 'ground-truth': the paper's "artifact-free latent x_0^gt", here a render of a world scene laid out for the
   * candidate's prompt (with that scene's plan for think-mode candidates), noised with the same t and eps in its own
   * forward pass. Why: fitting its own samples drifts the model (docs/srum-notes.md); an artifact-free anchor
   * keeps L_ref from adding to that drift. One more forward pass a step. With lossGuidance > 1, L_r reads the guided
   * velocity (it fits the guided sampler's own samples) while L_ref keeps the conditional one: a render is data, and
   * the conditional branch is what pretraining fits to data.
   */
  reference: SrumReference;
  /** Constant learning rate after warm-up (paper: 2.5e-5 for the 7B Bagel; a small model takes a larger one). */
  learningRate: number;
  /** Linear warm-up steps from 0 to learningRate (paper: 500 at Bagel scale); constant afterwards. */
  warmupSteps: number;
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
  /** Optimizer steps in the run. */
  steps: number;
  /** Candidates per step. */
  batchSize: number;
  /** Seed of the batch order, t, eps and text dropout (all derive from (seed, step), so resumes are exact). */
  seed: number;
  /** Timestep shift of training t (1 = none; 32 px images need none). */
  timestepShift: number;
  /** Probability of dropping a prompt to PAD, so the CFG unconditional branch keeps training (as in pretraining). */
  textDropProb: number;
  /** Steps between log.jsonl lines. */
  logEvery: number;
  /** Steps between checkpoints (one is always written at the end and on SIGINT / SIGTERM). */
  checkpointEvery: number;
}

export const DEFAULT_SRUM_CONFIG: SrumConfig = {
  method: 'srum',
  rewardMode: 'official',
  lambdaC: 0.1,
  noReference: false,
  planWeight: 0,
  planReward: 'alpha',
  advantage: false,
  lossGuidance: 1,
  positiveOnly: false,
  reference: 'candidate',
  learningRate: 1e-4, // not yet tuned on this toolkit's model: a starting point, tune on the val split only
  warmupSteps: 10,
  beta1: 0.9,
  beta2: 0.95,
  epsilon: 1e-15,
  weightDecay: 0,
  clipNorm: 1.0,
  emaDecay: 0.99,
  steps: 200,
  batchSize: 16,
  seed: 0,
  timestepShift: 1.0,
  textDropProb: 0.1,
  logEvery: 10,
  checkpointEvery: 50,
};

/** Defaults plus overrides; throws on an unknown option or a bad value. */
export function resolveSrumConfig(overrides: Record<string, unknown> = {}): SrumConfig {
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in DEFAULT_SRUM_CONFIG)) throw new Error(`unknown SRUM option '${key}' (known: ${Object.keys(DEFAULT_SRUM_CONFIG).join(', ')})`);
    const expected = typeof DEFAULT_SRUM_CONFIG[key as keyof SrumConfig];
    if (typeof value !== expected || (expected === 'number' && !Number.isFinite(value))) throw new Error(`SRUM option '${key}' must be a finite ${expected}, got ${JSON.stringify(value)}`);
  }
  const config: SrumConfig = { ...DEFAULT_SRUM_CONFIG, ...(overrides as Partial<SrumConfig>) };
  if (config.method !== 'srum' && config.method !== 'sft') throw new Error(`SRUM option 'method' must be 'srum' or 'sft', got '${config.method}'`);
  if (!isRewardMode(config.rewardMode)) throw new Error(`SRUM option 'rewardMode' must be one of ${REWARD_MODES.join(', ')}, got '${config.rewardMode}'`);
  for (const key of ['steps', 'batchSize', 'logEvery', 'checkpointEvery'] as const) {
    if (!Number.isInteger(config[key]) || config[key] <= 0) throw new Error(`SRUM option '${key}' must be a positive integer, got ${config[key]}`);
  }
  if (!Number.isInteger(config.warmupSteps) || config.warmupSteps < 0) throw new Error(`SRUM option 'warmupSteps' must be a non-negative integer, got ${config.warmupSteps}`);
  if (!(config.emaDecay >= 0 && config.emaDecay < 1)) throw new Error(`SRUM option 'emaDecay' must lie in [0, 1), got ${config.emaDecay}`);
  if (!(PLAN_REWARDS as readonly string[]).includes(config.planReward)) throw new Error(`SRUM option 'planReward' must be one of ${PLAN_REWARDS.join(', ')}, got ${String(config.planReward)}`);
  if (!(config.planWeight >= 0)) throw new Error(`SRUM option 'planWeight' must be >= 0, got ${config.planWeight}`);
  if (!(config.lossGuidance >= 1)) throw new Error(`SRUM option 'lossGuidance' must be >= 1, got ${config.lossGuidance}`);
  if (!(SRUM_REFERENCES as readonly string[]).includes(config.reference)) throw new Error(`SRUM option 'reference' must be one of ${SRUM_REFERENCES.join(', ')}, got '${config.reference}'`);
  if (!(config.lambdaC >= 0)) throw new Error(`SRUM option 'lambdaC' must be >= 0, got ${config.lambdaC}`);
  return config;
}

/** The lambda_c the loss uses: 0 for SFT and for the no-reference ablation. */
export function effectiveLambdaC(config: SrumConfig): number {
  return config.method === 'sft' || config.noReference ? 0 : config.lambdaC;
}

/** Linear warm-up to learningRate over warmupSteps, then constant (paper Table 5). `step` is 0-based. */
export function srumLearningRate(step: number, config: SrumConfig): number {
  return step < config.warmupSteps ? (config.learningRate * (step + 1)) / config.warmupSteps : config.learningRate;
}
