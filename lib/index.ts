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

export * from './plot';
