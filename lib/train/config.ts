// Pretraining configuration: one typed record with a comment per field, and presets keyed like the model
// presets (lib/model/config.ts MODEL_PRESETS: tiny, base, large) that override only what changes.
// Unknown options are errors. The resolved config is written next to every run's results (config.json).
import type { ModelPreset } from '../model/config';

export interface TrainConfig {
  /** Optimizer updates per task in the whole run. */
  steps: number;
  /** Examples per batch of each task. */
  batchSize: number;
  /** Peak learning rate (after warm-up). */
  learningRate: number;
  /** Steps of linear warm-up from 0 to learningRate. */
  warmupSteps: number;
  /** Cosine decay after warm-up ends at learningRate * minLearningRateRatio on the last step. */
  minLearningRateRatio: number;
  /** AdamW second-moment decay (paper Table 5: 0.95). */
  beta2: number;
  /** AdamW decoupled weight decay (paper: 0). */
  weightDecay: number;
  /** Global gradient-norm clip (paper: 1.0). */
  clipNorm: number;
  /** Flow timestep shift s for training t (1 = none; 32 px images need none). */
  timestepShift: number;
  /** Probability of dropping the prompt (classifier-free guidance training). */
  textDropProb: number;
  /** Learning-rate weight of each task's update (0 switches a task off). */
  generationWeight: number;
  /** Understanding heads (region, verdict, count) on clean images. */
  understandingWeight: number;
  /** Think-mode plan prediction from the prompt alone. */
  planWeight: number;
  /**
   * Plan loss reaches only the plan head and cell decoder, not the backbone (a later stage that teaches a new cell
   * decoder to plan without moving what the model generates or understands).
   */
  planHeadOnly: boolean;
  /**
   * The understanding loss reaches only the heads (and the region pixel reader), not the backbone: a later stage that
   * teaches the judge to read without moving what the model generates.
   */
  understandingHeadOnly: boolean;
  /**
   * Probability that each circle or square of an understanding image is drawn as a superellipse whose pixels stay
   * nearer its own ideal shape than the other one (train/data.ts morphShapes; 0 = ideal shapes only).
   */
  shapeMorph: number;
  /** Weight of the verdict CE inside L_understanding (the region head has five CE terms, the verdict one). */
  verdictWeight: number;
  /** Weight of the count CE inside L_understanding. */
  countWeight: number;
  /** Weight of the scene-parse loss (lib/train/parse.ts), added to the understanding step on the same images (0 = off). */
  parseWeight: number;
  /** Images per understanding step; each gives a region, a verdict and a count row (the verdict head learns slowest). */
  understandingImages: number;
  /**
   * Share of each understanding step's images taken from a pool of the model's own resamplings of rendered train
   * scenes, labelled from the scenes (generated-pool.ts; 0 = renders only). The pool is built from the starting
   * weights when the run starts and saved beside it.
   */
  generatedShare: number;
  /** Images in that pool (read only when generatedShare > 0). */
  generatedPool: number;
  /**
   * The noise level the pool's renders are resampled from; 0 = going round 0.4, 0.5, 0.6 (generated-pool.ts POOL_T0S).
   * Low (0.2): the render's shapes survive, so the scene's labels stay true, and only the generator's style is added.
   */
  generatedT0: number;
  /**
   * Understanding images (renders and the generated pool) may hold the held-out colour-shape pairs, where a prompt
   * leaves an object's colour unstated: the model has seen an orange square without ever being asked to draw one.
   * No text it trains on names a held-out pair, and no generation target holds one (world/heldout.ts).
   */
  heldOutImages: boolean;
  /**
   * Share of generation captions (generation and plan tasks) whose attribute sets are dealt to the nouns at random
   * (data.ts unbindCaption): the generation side learns from captions that do not bind attributes, while
   * understanding keeps the scene's labels. 0 = every caption binds (the shipped base).
   */
  unboundCaptions: number;
  /**
   * Share of generation captions whose relation sides trade places at random and whose counts are dealt afresh
   * (data.ts unbindStructure): the planner cannot read direction or number from the text, understanding still can.
   * 0 = every caption states the scene's structure (the shipped base).
   */
  unboundStructure: number;
  /** Share of generation samples conditioned on their ground-truth plan (think mode); the rest get the null plan. */
  thinkProb: number;
  /**
   * Generation images place freely placed objects on multiples of this many pixels (LayoutOptions.grid; 1 = any
   * pixel). Understanding images keep any pixel.
   */
  layoutGrid: number;
  /**
   * Decay of an EMA of the weights kept beside the checkpoint (lib/train/ema.ts; 0 = none). Evaluate it with
   * loadEmaCheckpoint or `--ema`; scripts/ship-checkpoint.ts --ema ships it as the weights.
   */
  emaDecay: number;
  /** EMA warm-up: decay min(emaDecay, (1 + n) / (10 + n)) at update n (ema.ts), so early weights fade from the average. */
  emaWarmup: boolean;
  /** Extra flow-loss weight of image tokens holding an edge (tasks.ts outlineWeights; 0 = plain flow matching). */
  outlineWeight: number;
  /** Steps between JSONL log lines (and progress-bar loss averages). */
  logEvery: number;
  /** Steps between checkpoints (one is always written at the end and on Ctrl-C / SIGTERM). */
  checkpointEvery: number;
}

/** Defaults: the `base` run, which must finish in about 2 hours on the 2-core CPU machine (wasm backend). */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  // Measured (wasm, 2-core machine, log task_seconds_per_step): one base step on one thread = generation ~2.1 s
  // (32 samples, 4 plan tokens) + understanding ~1.5 s (24 region queries) + plan ~0.5 s ~ 4.2 s; two data-parallel
  // replicas (`--replicas 2`, lib/train/parallel.ts) take 2.5 s a step, so 2300 steps ~ 96 min.
  // The understanding budget goes to the region head: the model's verdict is the region head on the proposer's
  // regions plus the world's rules (lib/regions/objects.ts). The verdict head stayed at chance on this budget and the
  // count and parse heads are not read by that verdict, so their weights are 0 here (they train when set > 0).
  steps: 2300,
  batchSize: 32,
  learningRate: 7e-4,
  warmupSteps: 100,
  minLearningRateRatio: 0.1,
  beta2: 0.95,
  weightDecay: 0,
  clipNorm: 1.0,
  timestepShift: 1.0,
  textDropProb: 0.1,
  generationWeight: 1,
  understandingWeight: 1,
  planWeight: 1,
  planHeadOnly: false,
  understandingHeadOnly: false,
  shapeMorph: 0,
  verdictWeight: 0,
  countWeight: 0,
  parseWeight: 0,
  understandingImages: 24,
  generatedShare: 0,
  generatedPool: 1536,
  generatedT0: 0,
  heldOutImages: false,
  unboundCaptions: 0,
  unboundStructure: 0,
  thinkProb: 0.5,
  layoutGrid: 1,
  emaDecay: 0,
  emaWarmup: false,
  outlineWeight: 0,
  logEvery: 10,
  checkpointEvery: 100,
};

export const TRAIN_PRESETS: Record<ModelPreset, Partial<TrainConfig>> = {
  /** Seconds: tests and CI notebooks. A higher rate so a few steps move the loss visibly. */
  tiny: {
    steps: 20,
    batchSize: 4,
    learningRate: 1e-3,
    warmupSteps: 2,
    understandingImages: 2,
    verdictWeight: 1,
    countWeight: 1,
    parseWeight: 1,
    logEvery: 5,
    checkpointEvery: 10,
  },
  /** The shipped checkpoint (the defaults above). */
  base: {},
  /** GPU users: a wider model wants more data per step and a gentler rate. */
  large: { steps: 50000, batchSize: 128, learningRate: 3e-4, warmupSteps: 1000, logEvery: 50, checkpointEvery: 1000 },
};

/** Preset plus overrides; throws on an unknown preset, an unknown option or a bad value. */
export function resolveTrainConfig(preset: ModelPreset, overrides: Record<string, unknown> = {}): TrainConfig {
  const presetOverrides = TRAIN_PRESETS[preset];
  if (presetOverrides === undefined)
    throw new Error(`unknown training preset '${preset}' (known: ${Object.keys(TRAIN_PRESETS).join(', ')})`);
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in DEFAULT_TRAIN_CONFIG))
      throw new Error(`unknown training option '${key}' (known: ${Object.keys(DEFAULT_TRAIN_CONFIG).join(', ')})`);
    const expected = typeof DEFAULT_TRAIN_CONFIG[key as keyof TrainConfig];
    if (expected === 'boolean' ? typeof value !== 'boolean' : typeof value !== 'number' || !Number.isFinite(value))
      throw new Error(
        `training option '${key}' must be ${expected === 'boolean' ? 'true or false' : 'a finite number'}, got ${JSON.stringify(value)}`,
      );
  }
  const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, ...presetOverrides, ...(overrides as Partial<TrainConfig>) };
  for (const key of ['steps', 'batchSize', 'logEvery', 'checkpointEvery'] as const) {
    if (!Number.isInteger(config[key]) || config[key] <= 0)
      throw new Error(`training option '${key}' must be a positive integer, got ${config[key]}`);
  }
  if (!Number.isInteger(config.layoutGrid) || config.layoutGrid < 1)
    throw new Error(`training option 'layoutGrid' must be a positive integer, got ${config.layoutGrid}`);
  if (!(config.outlineWeight >= 0)) throw new Error(`training option 'outlineWeight' must be >= 0, got ${config.outlineWeight}`);
  if (!(config.emaDecay >= 0 && config.emaDecay < 1))
    throw new Error(`training option 'emaDecay' must lie in [0, 1), got ${config.emaDecay}`);
  if (!(config.thinkProb >= 0 && config.thinkProb <= 1))
    throw new Error(`training option 'thinkProb' must lie in [0, 1], got ${config.thinkProb}`);
  if (!(config.generatedShare >= 0 && config.generatedShare < 1))
    throw new Error(`training option 'generatedShare' must lie in [0, 1), got ${config.generatedShare}`);
  if (config.generatedShare > 0 && (!Number.isInteger(config.generatedPool) || config.generatedPool < 1))
    throw new Error(`training option 'generatedPool' must be a positive integer, got ${config.generatedPool}`);
  if (config.generatedShare > 0 && config.parseWeight > 0)
    throw new Error(
      "training option 'generatedShare' needs parseWeight = 0: the scene parse would read a pool image as the render it replaced",
    );
  if (!(config.unboundCaptions >= 0 && config.unboundCaptions <= 1))
    throw new Error(`training option 'unboundCaptions' must lie in [0, 1], got ${config.unboundCaptions}`);
  if (!(config.unboundStructure >= 0 && config.unboundStructure <= 1))
    throw new Error(`training option 'unboundStructure' must lie in [0, 1], got ${config.unboundStructure}`);
  if (!(config.shapeMorph >= 0 && config.shapeMorph <= 1))
    throw new Error(`training option 'shapeMorph' must lie in [0, 1], got ${config.shapeMorph}`);
  if (!(config.generatedT0 >= 0 && config.generatedT0 < 1))
    throw new Error(`training option 'generatedT0' must lie in [0, 1), got ${config.generatedT0}`);
  if (config.understandingHeadOnly && config.parseWeight > 0)
    throw new Error("training option 'understandingHeadOnly' needs parseWeight = 0: the scene parse trains the backbone");
  if (!Number.isInteger(config.warmupSteps) || config.warmupSteps < 0)
    throw new Error(`training option 'warmupSteps' must be a non-negative integer, got ${config.warmupSteps}`);
  return config;
}

/** Learning rate of (0-based) step: linear warm-up, then cosine decay to learningRate * minLearningRateRatio. */
export function learningRateAt(step: number, config: TrainConfig): number {
  const { learningRate: peak, warmupSteps, steps, minLearningRateRatio } = config;
  if (step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
  const decaySteps = Math.max(1, steps - warmupSteps - 1);
  const progress = Math.min(1, (step - warmupSteps) / decaySteps);
  const floor = peak * minLearningRateRatio;
  return floor + (peak - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
