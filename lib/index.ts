// The package entry (`import { ... } from 'srum-ts'`, used by notebooks and scripts): the public API.
// Every exported name must be unique across the modules below (tsc reports an `export *` collision).
export * from './rng';

// World: vocabulary, grammar, sampling, splits, tokenizer, layout, rendering, PNG files.
export * from './world/types';
export * from './world/config';
export * from './world/geometry';
export * from './world/words';
export * from './world/grammar';
export * from './world/semantics';
export * from './world/sample';
export * from './world/heldout';
export * from './world/splits';
export * from './world/tokenizer';
export * from './world/layout';
export * from './world/render';
export * from './world/png';

// Independent evaluator (pixels only, never the scene or the model's judge) and the world self-check.
export { type ConstraintResult, type Verdict, describeObject, evaluateDetection, evaluateImage } from './eval/evaluate';
export { type DetectedObject, type Detection, detectObjects } from './eval/objects';
export { type Rates as WorldCheckRates, type WorldCheckOptions, type WorldCheckResult, worldCheck } from './eval/worldCheck';

// Backend: choose and initialise the TensorFlow.js backend (tfjs-node, wasm or cpu).
export { BACKEND_NAMES, type BackendInfo, type BackendName, type InitBackendOptions, initBackend } from './backend/select';
// The same TensorFlow.js instance the library computes with (a second copy would have its own backend and tensors).
export * as tf from './backend/tf';
export { randomNormal, randomUniform } from './backend/random';

// The unified model: config and presets, parameters, the shared backbone, rectified flow, think-mode plans,
// understanding heads, and checkpoints.
export * from './model/config';
export * from './model/flow';
export {
  QUERY_KINDS,
  REGION_FIELDS,
  type ModelParams,
  type QueryKind,
  type RegionField,
  type UnifiedModel,
  disposeModel,
  initModel,
  namedVariables,
  parameterCount,
} from './model/params';
export { patchify, unpatchify } from './model/patches';
export { type BackboneInputs, type VelocityInputs, predictVelocity, runBackbone } from './model/transformer';
export { type UnderstandingInputs, type UnderstandingLogits, understandingLogits } from './model/heads';
export { planLogits, planTokens, predictPlan } from './model/plan';
export { type Box, type CountDistribution, type RegionIdentity, countObjects, identifyRegions, verdicts } from './model/understand';
export {
  constraintTexts,
  DEFAULT_VERDICT_SOURCE,
  describeObjects,
  describeParsed,
  parsedSummary,
  promptVerdict,
  VERDICT_SOURCES,
  type PromptVerdict,
  type VerdictSource,
} from './judge/verdict';
export { parsedScene, parseScenes, type ParsedObject } from './model/parse';
export * from './model/checkpoint';

// Generation: the Euler sampler with guidance and x0 per step, and text-to-image with the default settings.
export { type SampleOptions as SamplerOptions, sampleTokens } from './generate/sampler';
export * from './generate/generate';

// Pretraining: configuration and presets, think-mode plan targets, the resumable training loop.
export * from './train/config';
export { PLAN_CLASSES, PLAN_FIELDS, PLAN_GRID, PLAN_IGNORE, PLAN_SLOTS, PLAN_VALUES, type PlanField } from './model/classes';
export { planCell, planTargets, promptSlots } from './train/plan';
export { CONFIG_FILE, LOG_FILE, T_BINS, type PretrainOptions, type PretrainResult, pretrain } from './train/pretrain';
export { pretrainParallel } from './train/parallel';

// The understanding-generation gap (paper Figure 1), scored by the independent evaluator.
export * from './eval/gap';

// Layout and detail scores of x0_hat per sampling step (paper Figure 4), on the evaluation protocol's images.
export { DEFAULT_PROTOCOL, type ProtocolConfig, type ProtocolImage, protocolImages, protocolPrompts } from './eval/protocol';
export * from './eval/layout-detail';
export * from './eval/per-step';

// Functional clusters of MLP units and their average activation strength (paper Figure 5, Appendix B Algorithm 1).
export * from './eval/activations';
export * from './eval/clusters';

// SRUM (paper 3.1-3.3): region proposals and self-verification, the self-judge and the released judge prompts,
// reward maps, and the reward-weighted post-training.
export { MAX_REGIONS, type RegionProposal, proposeRegions } from './regions/propose';
export { objectRegions, objectsFromIdentities, proposedObjects, type ObjectRegion } from './regions/objects';
export { type VerifiedKind, type VerifiedRegion, type VerifyOptions, promptKeywords, verifyRegions } from './regions/verify';
export { type SelfJudgeOptions, NEUTRAL_BAND, hasDirective, judgeLayout, selfJudge } from './judge/self';
export { globalLayoutPrompt, hybridRegionPrompt, numberRegions, sampleLevelPrompt } from './judge/prompts';
export { GLOBAL_OBJECT, type JudgeRecord, type TrainingRecord, formatForTraining } from './judge/records';
export { REWARD_MODES, type RewardMode, mapRows, rewardMap } from './reward/rewardMap';
export { resizeBilinear } from './reward/resize';
// Released-format interop: both judge parsers (official = released, robust), reward records of either form,
// real images through sharp.
export { PARSE_MODES, type ParseMode, globalJson, globalParser, regionParser, regionsJson } from './judge/parseModes';
export { buildJudgeRecord } from './judge/records';
export { readRewardSources } from './reward/sources';
export { DEFAULT_LOADER_RESIZE, loaderSize, overlayRewardMap, readImage, writeImage } from './world/image';
export { DEFAULT_SRUM_CONFIG, type SrumConfig, resolveSrumConfig } from './train/srum-config';
export { type SrumCandidate } from './train/srum-data';
export { candidateReward, lossVelocity, patchErrorMaps } from './train/srum-objective';
export { generationTokens } from './model/image-tokens';
export { type TrainSrumOptions, type TrainSrumResult, trainSrum } from './train/srum';
export { loadEmaCheckpoint, readEmaWeights } from './train/ema';

// Post-training runs compared on the evaluation protocol (paired, prompt-clustered SEs): candidates drawn and judged
// on disk as srum-gain.ts does, arms scored together, and the lambda sweep and ablations (paper Figure 3) and the
// generalisation across category groups (Figure 6) read off.
export { generateCandidates } from './run/candidates';
export { type SelfJudgedLine, judgeCandidates } from './run/judge';
export { readJsonl } from './io';
export { trainingCandidates } from './run/pipeline';
export { SamplerPool } from './eval/pool';
export {
  type Arm,
  type ComparisonReport,
  type ScoreFile,
  cachedUnderstanding,
  compareArms,
  formatComparison,
  loadArm,
  pairedMean,
  scoreArms,
} from './eval/compare';
export * from './eval/sweep-results';
export * from './eval/generalisation';

export * from './plot';
