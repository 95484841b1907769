// The built-in judge: the model judging its own image (paper 3.2) from its own understanding (the region head on
// the proposer's regions by default, or the scene parse, or the verdict head; never the independent evaluator of
// lib/eval). Output: one record in the released judge schema (buildJudgeRecord), with a reason for every score built
// from what the model predicted.
//
// Rules (P_i below are the model's P(yes) for the prompt's constraints, exactly as promptVerdict gives them:
// from the region head on the proposer's regions by default, or the scene parse, or the verdict head):
//   Global layout score g in [-1, 1].
//     P = min_i P_i (the AND over constraints: g > 0 iff promptVerdict passes).
//     A prompt has a spatial or compositional directive iff it has a 'relation' or a 'count' constraint.
//     With a directive:    g = 2 P - 1.
//     Without (single object, colour-only, "a red circle and a blue square", ...): g = 0.4 (2 P - 1), which
//     lies in the neutral band [-0.4, 0.4] (the released global prompt's third example: ~0.2 for such prompts).
//   Local score s in [-1, 1] of every kept region (lib/regions/verify.ts decides which are kept).
//     Grounding (object and distorted regions, matched to a prompt keyword K):
//       q = geometric mean of P(shape = K.shape) and P(attribute = K's value) for each attribute K names
//       (colour, texture, size); s0 = 2 q - 1. A wrong attribute (P ~ 0) drives s0 towards -1; a confident
//       full match towards +1.
//     Distortion penalty (non-linear in d = P(distorted)):
//       w(d) = smoothstep from 0.2 to 0.8 (0 below 0.2, 1 above 0.8, 3t^2 - 2t^3 between);
//       band(d) = -0.5 - 0.4 clamp((d - 0.8) / 0.2, 0, 1)   (-0.5 at d <= 0.8, down to -0.9 at d = 1);
//       s = (1 - w) s0 + w band(d).
//       So d >= 0.8 ("severely distorted") puts s in [-0.9, -0.5], d = 1 gives -0.9, d <= 0.2 leaves s0
//       untouched; s is non-increasing in d whenever s0 >= -0.5 (a region already scored below the band is
//       pulled up into it: a distorted attempt is not judged worse than -0.9).
//     Background regions: s = 0.1 (2 P(shape = none) - 1), in [-0.1, 0.1]: neutral, slightly positive when
//       the model is sure it sees no object.
//   Scores are rounded to 4 decimals.
import { proposeRegions } from '../regions/propose';
import { describeDesc, shapeProbability, verifyRegions, type VerifiedRegion, type VerifyOptions } from '../regions/verify';
import { constraintTexts, DEFAULT_VERDICT_SOURCE, describeObjects, promptVerdict, type VerdictSource } from './verdict';
import type { UnifiedModel } from '../model/params';
import type { RegionIdentity } from '../model/understand';
import { COLORS, SHAPES, SIZES, TEXTURES, type ObjectDesc, type Prompt, type RgbImage } from '../world/types';
import type { ParsedGlobal, ParsedRegion } from './parse';
import { buildJudgeRecord, type JudgeRecord } from './records';

/** Half-width of the neutral band for prompts without a spatial or compositional directive. */
export const NEUTRAL_BAND = 0.4;
/** The severe-distortion band [-0.9, -0.5]. */
export const DISTORTION_BAND: readonly [number, number] = [-0.9, -0.5];
/** Half-width of the background score range. */
export const BACKGROUND_RANGE = 0.1;

const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));
const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;
const p2 = (x: number): string => x.toFixed(2);

/** Does the prompt state a spatial or compositional directive (a relation or a count)? */
export function hasDirective(prompt: Prompt): boolean {
  return prompt.constraints.some((c) => c.kind === 'relation' || c.kind === 'count');
}

/** The global layout score from the verdict head's P(yes) per constraint (rule above). */
export function globalLayoutScore(probabilities: readonly number[], directive: boolean): number {
  const pAll = probabilities.length === 0 ? 0.5 : Math.min(...probabilities);
  const score = 2 * pAll - 1;
  return directive ? score : NEUTRAL_BAND * score;
}

/** The non-linear distortion penalty: s = (1 - w(d)) s0 + w(d) band(d) (rule above). */
export function applyDistortionPenalty(s0: number, distorted: number): number {
  const t = clamp01((distorted - 0.2) / 0.6);
  const w = t * t * (3 - 2 * t);
  const band = DISTORTION_BAND[1] - (DISTORTION_BAND[1] - DISTORTION_BAND[0]) * clamp01((distorted - 0.8) / 0.2);
  return (1 - w) * s0 + w * band;
}

const ATTRIBUTES = [
  { field: 'color', names: COLORS as readonly string[] },
  { field: 'texture', names: TEXTURES as readonly string[] },
  { field: 'size', names: SIZES as readonly string[] },
] as const;

/** P(shape = K.shape) and P(attribute = K's value) for each attribute K names, with a label for reasons. */
function groundingFactors(keyword: ObjectDesc, identity: RegionIdentity): Array<{ label: string; p: number }> {
  const factors = [{ label: `shape ${keyword.shape}`, p: shapeProbability(identity, keyword.shape) }];
  for (const { field, names } of ATTRIBUTES) {
    const value = keyword[field];
    if (value !== undefined) factors.push({ label: `${field} ${value}`, p: identity.probabilities[field][names.indexOf(value)] });
  }
  return factors;
}

function distortionText(d: number): string {
  if (d >= 0.8) return `severely distorted (p=${p2(d)}): penalised into [${DISTORTION_BAND.join(', ')}]`;
  if (d > 0.2) return `possibly distorted (p=${p2(d)}): partly penalised`;
  return `no distortion (p=${p2(d)})`;
}

/** The local score and reason of one kept region (rule above). */
export function scoreRegion(region: VerifiedRegion): { score: number; reason: string } {
  const { identity } = region;
  if (region.kind === 'background' || region.keyword === undefined) {
    const pNone = identity.probabilities.shape[SHAPES.length];
    return {
      score: round4(BACKGROUND_RANGE * (2 * pNone - 1)),
      reason: `identified background (P(no object)=${p2(pNone)}); background is neutral`,
    };
  }
  const factors = groundingFactors(region.keyword, identity);
  const q = Math.exp(factors.reduce((sum, f) => sum + Math.log(Math.max(f.p, 1e-6)), 0) / factors.length);
  const s0 = 2 * q - 1;
  const score = round4(applyDistortionPenalty(s0, identity.distorted));
  const agreement = factors.map((f) => `${f.label} p=${p2(f.p)}`).join(', ');
  const asked = `identified ${region.identified}; prompt asks for ${describeDesc(region.keyword)}`;
  const reason = `${asked}; ${agreement} (grounding ${p2(s0)}); ${distortionText(identity.distorted)}`;
  return { score, reason };
}

/** The global layout judgment: score and a reason naming every constraint's P(yes). */
export function judgeLayout(
  model: UnifiedModel,
  image: RgbImage,
  prompt: Prompt,
  source: VerdictSource = DEFAULT_VERDICT_SOURCE,
): ParsedGlobal {
  const texts = constraintTexts(prompt);
  const { probabilities, parsed } = promptVerdict(model, image, prompt, source);
  const directive = hasDirective(prompt);
  const score = round4(globalLayoutScore(probabilities, directive));
  const seen = parsed === undefined ? '' : `sees ${describeObjects(parsed)}; `;
  const each = texts.map((t, i) => `"${t}" P(yes)=${p2(probabilities[i])}`).join(', ');
  const rule = directive
    ? 'score = 2 min P - 1'
    : `no spatial or compositional directive: neutral band, score = ${NEUTRAL_BAND} (2 min P - 1)`;
  return { score, rawScore: score, reason: `${seen}verdict (${source}) ${each}; ${rule} = ${score}` };
}

export interface SelfJudgeOptions extends VerifyOptions {
  /** Written as the record's image_file (default ''). */
  imageFile?: string;
  /** Regions already proposed and verified; default: proposeRegions then verifyRegions on the image. */
  verified?: readonly VerifiedRegion[];
}

/** The model's self-judgment of one image: a released-schema judge record (kept regions, in proposal order). */
export function selfJudge(model: UnifiedModel, image: RgbImage, prompt: Prompt, options: SelfJudgeOptions = {}): JudgeRecord {
  const verified =
    options.verified ?? verifyRegions(model, image, { prompt, proposals: proposeRegions(image), requireColor: options.requireColor });
  const kept = verified.filter((r) => r.kept);
  const parsedRegions = new Map<number, ParsedRegion>();
  kept.forEach((region, i) => {
    const { score, reason } = scoreRegion(region);
    parsedRegions.set(i + 1, { regionId: i + 1, identifiedObject: region.identified, score, rawScore: score, reason });
  });
  return buildJudgeRecord({
    imageFile: options.imageFile ?? '',
    prompt: prompt.text,
    width: image.width,
    height: image.height,
    regions: kept.map((r) => ({ bbox: r.bbox, area: r.area })),
    parsedRegions,
    parsedGlobal: judgeLayout(model, image, prompt),
    attempts: 1,
  });
}
