// The model's whole-prompt verdict: a prompt holds when the model says yes (P > 0.5) to every one of its
// constraints. Two sources, both the model's own understanding (never the evaluator):
//   'parse' (default): the scene parse (parse.ts) lists the objects the model sees, and the world's rules check
//            each constraint on them; P = 0.5 +- 0.5 x the parse's weakest belief.
//   'head':  the verdict head, each constraint asked as its own canonical T2I-CompBench-style text (as in
//            pretraining). On the 2-core budget this head stayed near chance (see README), hence the default.
import { promptText } from '../world/grammar';
import type { Prompt, RgbImage } from '../world/types';
import type { UnifiedModel } from './params';
import { parseScenes, parseVerdicts, type GroupingMode, type ParsedObject } from './parse';

/** How the parse groups patches into objects unless a caller says otherwise (parse.ts GroupingMode). */
export const DEFAULT_GROUPING: GroupingMode = 'centres';
import { verdicts } from './understand';

export type VerdictSource = 'parse' | 'head';
export const VERDICT_SOURCES: readonly VerdictSource[] = ['parse', 'head'];

export function constraintTexts(prompt: Prompt): string[] {
  return prompt.constraints.map((c) => promptText([c], false));
}

export interface PromptVerdict {
  passed: boolean;
  /** P(yes) per constraint, in the prompt's order. */
  probabilities: number[];
  source: VerdictSource;
}

/** P(yes) per constraint and the AND over them. */
export function promptVerdict(model: UnifiedModel, image: RgbImage, prompt: Prompt, source: VerdictSource = 'parse', grouping: GroupingMode = DEFAULT_GROUPING): PromptVerdict {
  const probabilities = source === 'parse' ? parseVerdicts(model, image, prompt.constraints, grouping) : verdicts(model, image, constraintTexts(prompt));
  return { passed: probabilities.every((p) => p > 0.5), probabilities, source };
}

/** "red striped small circle at (10, 12)" for reasons and notebooks. */
export function describeParsed(object: ParsedObject): string {
  const distorted = object.distorted ? ' (distorted)' : '';
  return `${object.size} ${object.texture} ${object.color} ${object.shape}${distorted} at (${object.cx.toFixed(0)}, ${object.cy.toFixed(0)})`;
}

/** What the model sees in one image, as text. */
export function parsedSummary(model: UnifiedModel, image: RgbImage, grouping: GroupingMode = DEFAULT_GROUPING): string {
  const [objects] = parseScenes(model, [image], grouping);
  return objects.length === 0 ? 'no object' : objects.map(describeParsed).join('; ');
}
