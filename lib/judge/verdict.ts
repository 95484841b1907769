// The model's whole-prompt verdict: a prompt holds when the model says yes (P > 0.5) to every one of its
// constraints. Three sources, all the model's own understanding (never the evaluator):
//   'parse':  the scene parse (parse.ts) lists the objects the model sees, and the world's rules check
//            each constraint on them; P = 0.5 +- 0.5 x the parse's weakest belief.
//   'regions' (default): the class-agnostic proposer (SAM's stand-in, lib/regions) says where objects are, the region head
//            identifies each (lib/regions/objects.ts), and the same rules check the constraints: the SRUM judge's
//            own recipe (SAM + the VLM), so positions are exact and the model only has to tell what it sees.
//   'head':  the verdict head, each constraint asked as its own canonical T2I-CompBench-style text (as in
//            pretraining). On the 2-core budget this head stayed near chance (see README), so it is not the default.
import { promptText } from '../world/grammar';
import type { Prompt, RgbImage } from '../world/types';
import type { UnifiedModel } from '../model/params';
import { proposedObjects } from '../regions/objects';
import { parseScenes, parseVerdicts, type ParsedObject, type ParseOptions } from '../model/parse';
import { verdicts } from '../model/understand';

/** How the parse reads objects unless a caller says otherwise (parse.ts ParseOptions). */
export const DEFAULT_PARSE: ParseOptions = { grouping: 'centres', attributes: 'patches' };

export type VerdictSource = 'parse' | 'regions' | 'head';
export const VERDICT_SOURCES: readonly VerdictSource[] = ['parse', 'regions', 'head'];
/** The verdict the gap and the self-judge use unless told otherwise (the base run trains the region head for it). */
export const DEFAULT_VERDICT_SOURCE: VerdictSource = 'regions';

export function constraintTexts(prompt: Prompt): string[] {
  return prompt.constraints.map((c) => promptText([c], false));
}

export interface PromptVerdict {
  passed: boolean;
  /** P(yes) per constraint, in the prompt's order. */
  probabilities: number[];
  source: VerdictSource;
  /** The objects the verdict was checked on (sources 'parse' and 'regions'). */
  parsed?: ParsedObject[];
}

/** P(yes) per constraint and the AND over them. */
export function promptVerdict(
  model: UnifiedModel,
  image: RgbImage,
  prompt: Prompt,
  source: VerdictSource = DEFAULT_VERDICT_SOURCE,
  parse: ParseOptions = DEFAULT_PARSE,
): PromptVerdict {
  if (source === 'head') {
    const probabilities = verdicts(model, image, constraintTexts(prompt));
    return { passed: probabilities.every((p) => p > 0.5), probabilities, source };
  }
  const parsed = source === 'regions' ? proposedObjects(model, image) : parseScenes(model, [image], parse)[0];
  const probabilities = parseVerdicts(parsed, prompt.constraints, model.config.imageSize);
  return { passed: probabilities.every((p) => p > 0.5), probabilities, source, parsed };
}

/** "red striped small circle at (10, 12)" for reasons and notebooks. */
export function describeParsed(object: ParsedObject): string {
  const distorted = object.distorted ? ' (distorted)' : '';
  const at = `(${object.cx.toFixed(0)}, ${object.cy.toFixed(0)})`;
  return `${object.size} ${object.texture} ${object.color} ${object.shape}${distorted} at ${at}`;
}

/** Parsed objects as text ("no object" for none). */
export function describeObjects(objects: readonly ParsedObject[]): string {
  return objects.length === 0 ? 'no object' : objects.map(describeParsed).join('; ');
}

/** What the model sees in one image, as text. */
export function parsedSummary(model: UnifiedModel, image: RgbImage, parse: ParseOptions = DEFAULT_PARSE): string {
  return describeObjects(parseScenes(model, [image], parse)[0]);
}
