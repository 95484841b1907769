// The model's whole-prompt verdict: a prompt holds when the verdict head says yes (P > 0.5) to every one of
// its constraints, each asked as its own canonical T2I-CompBench-style text (as in pretraining).
import { promptText } from '../world/grammar';
import type { Prompt, RgbImage } from '../world/types';
import type { UnifiedModel } from './params';
import { verdicts } from './understand';

export function constraintTexts(prompt: Prompt): string[] {
  return prompt.constraints.map((c) => promptText([c], false));
}

/** P(yes) per constraint and the AND over them. */
export function promptVerdict(model: UnifiedModel, image: RgbImage, prompt: Prompt): { passed: boolean; probabilities: number[] } {
  const probabilities = verdicts(model, image, constraintTexts(prompt));
  return { passed: probabilities.every((p) => p > 0.5), probabilities };
}
