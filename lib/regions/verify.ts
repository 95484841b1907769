// Self-verification of region proposals (paper 3.1): the model's own region head names what is inside every
// proposed box, and only boxes that correspond to the prompt's keywords (or to plain background) go on to be
// judged. Every box gets a record of the decision and why: `{ bbox, area, identified, kept, reason }`.
//
// Rules (in this order, for a box of width w and height h in a W x H image):
//   1. Background-sized box (w >= 0.9 W and h >= 0.9 H: the proposer's background mask spans the image):
//      kept as 'background' iff the model sees no object there (shape 'none') and no distortion
//      (P(distorted) < 0.5); otherwise dropped ("not plain background").
//   2. The model names a shape: kept as 'object' iff the prompt names that shape (a keyword); with
//      `requireColor` the predicted colour must also equal the keyword's colour when the prompt gives one.
//      Among several keywords with that shape, the one agreeing on the most named attributes is matched.
//   3. The model names no shape but P(distorted) >= 0.5: kept as 'distorted' (a failed attempt at a prompt
//      object) iff some keyword has the predicted colour or names no colour. Pretraining labels distorted
//      objects shape 'none', so without this rule the distortion penalty of the judge could never apply.
//   4. Anything else (no object in an object-sized box, an unprompted shape or colour) is dropped.
// Keywords are the object descriptions of the prompt's constraints (exists, count, relation subject/object).
import { identifyRegions, type Box as UnitBox, type RegionIdentity } from '../model/understand';
import type { UnifiedModel } from '../model/params';
import type { ObjectDesc, Prompt, RgbImage } from '../world/types';
import { COLORS, SHAPES } from '../world/types';
import type { Box as PixelBox, RegionProposal } from './propose';

/** A box covering at least this fraction of both image sides is the background region. */
export const BACKGROUND_SIDE_FRACTION = 0.9;
/** P(distorted) at or above which a box is taken to hold a distorted object. */
export const DISTORTED_THRESHOLD = 0.5;

export type VerifiedKind = 'object' | 'distorted' | 'background' | 'dropped';

export interface VerifiedRegion {
  bbox: PixelBox;
  area: number;
  /** What the model identified, as text: "a small striped red circle", "a distorted red object", "background", "nothing". */
  identified: string;
  kept: boolean;
  /** Why it was kept or dropped, from the model's predictions. */
  reason: string;
  kind: VerifiedKind;
  /** The prompt keyword the box was matched to ('object' and 'distorted' only). */
  keyword?: ObjectDesc;
  /** The region head's full answer. */
  identity: RegionIdentity;
  /** The box the model was asked about when it differs from bbox (the background probe). */
  probe?: PixelBox;
}

export interface VerifyOptions {
  /** Also require the predicted colour to equal the keyword's colour (when the prompt names one). Default false. */
  requireColor?: boolean;
}

/** The object descriptions a prompt names (its keywords), in constraint order, without duplicates. */
export function promptKeywords(prompt: Prompt): ObjectDesc[] {
  const descs = prompt.constraints.flatMap((c) => (c.kind === 'relation' ? [c.subject, c.object] : [c.object]));
  const seen = new Set<string>();
  return descs.filter((d) => {
    const key = describeDesc(d);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const withArticle = (phrase: string): string => (/^[aeiou]/.test(phrase) ? `an ${phrase}` : `a ${phrase}`);

/** "a small striped red circle": a keyword as the prompt grammar orders attributes. */
export function describeDesc(desc: ObjectDesc): string {
  return withArticle([desc.size, desc.texture, desc.color, desc.shape].filter((p) => p !== undefined).join(' '));
}

/** The model's answer as text: every predicted attribute that is not 'none'. */
export function describeIdentity(identity: RegionIdentity): string {
  const attributes = [identity.size, identity.texture, identity.color].filter((a) => a !== 'none');
  if (identity.shape === 'none') {
    return identity.distorted >= DISTORTED_THRESHOLD ? withArticle(['distorted', ...attributes, 'object'].join(' ')) : 'nothing';
  }
  return withArticle([...attributes, identity.shape].join(' '));
}

/** P(field = value) under the region head, for a named shape or colour. */
export const shapeProbability = (identity: RegionIdentity, shape: ObjectDesc['shape']): number =>
  identity.probabilities.shape[SHAPES.indexOf(shape)];
const noneProbability = (identity: RegionIdentity): number => identity.probabilities.shape[SHAPES.length];
const colourProbability = (identity: RegionIdentity): number =>
  identity.color === 'none' ? identity.probabilities.color[COLORS.length] : identity.probabilities.color[COLORS.indexOf(identity.color)];

/** How many of the keyword's named attributes the model's answer agrees with. */
function agreement(desc: ObjectDesc, identity: RegionIdentity): number {
  return (['color', 'texture', 'size'] as const).filter((f) => desc[f] !== undefined && desc[f] === identity[f]).length;
}

function bestKeyword(candidates: readonly ObjectDesc[], identity: RegionIdentity): ObjectDesc {
  return candidates.reduce((best, d) => (agreement(d, identity) > agreement(best, identity) ? d : best));
}

const p = (value: number): string => value.toFixed(2);

export interface VerifyIdentityOptions extends VerifyOptions {
  prompt: Prompt;
  width: number;
  height: number;
  /** The background probe the model was asked about instead of the box (rule 1). */
  probe?: PixelBox;
}

/** The verification decision for one box from the model's answer (pure: no model call). */
export function verifyIdentity(proposal: RegionProposal, identity: RegionIdentity, options: VerifyIdentityOptions): VerifiedRegion {
  const probe = options.probe !== undefined ? { probe: options.probe } : {};
  const base = { bbox: [...proposal.bbox] as PixelBox, area: proposal.area, identity, ...probe };
  type Decision = { identified: string; kept: boolean; kind: VerifiedKind; keyword?: ObjectDesc };
  const decide = (fields: Decision, reason: string): VerifiedRegion => ({ ...base, ...fields, reason });
  const probeText = options.probe !== undefined ? ` (asked about the background square [${options.probe.join(', ')}])` : '';
  const identified = describeIdentity(identity);
  const dropped = { identified, kept: false, kind: 'dropped' } as const;
  const keywords = promptKeywords(options.prompt);
  const distortedText = `P(distorted)=${p(identity.distorted)}`;
  const pNone = p(noneProbability(identity));
  if (isBackgroundSized(proposal.bbox, options.width, options.height)) {
    const plain = identity.shape === 'none' && identity.distorted < DISTORTED_THRESHOLD;
    return plain
      ? decide(
          { identified: 'background', kept: true, kind: 'background' },
          `background-sized box${probeText}; the model sees no object (P(none)=${pNone}, ${distortedText}): plain background`,
        )
      : decide(
          dropped,
          `background-sized box${probeText}, but the model identified ${identified} (${distortedText}): not plain background`,
        );
  }
  if (identity.shape !== 'none') {
    const shape = identity.shape;
    const sameShape = keywords.filter((d) => d.shape === shape);
    const pShape = p(shapeProbability(identity, shape));
    if (sameShape.length === 0) {
      return decide(dropped, `identified ${identified} (p=${pShape}); the prompt names no ${shape}`);
    }
    const colourOk = sameShape.filter((d) => d.color === undefined || d.color === identity.color);
    if (options.requireColor === true && colourOk.length === 0) {
      const named = sameShape.map((d) => d.color).join(' or ');
      const seen = `the model sees ${identity.color} (p=${p(colourProbability(identity))})`;
      return decide(dropped, `identified ${identified} (p=${pShape}); the prompt's ${shape} is ${named}, ${seen}`);
    }
    const keyword = bestKeyword(options.requireColor === true ? colourOk : sameShape, identity);
    return decide(
      { identified, kept: true, kind: 'object', keyword },
      `identified ${identified} (p=${pShape}); matches the keyword "${describeDesc(keyword)}"`,
    );
  }
  if (identity.distorted >= DISTORTED_THRESHOLD) {
    const colourOk = keywords.filter((d) => d.color === undefined || d.color === identity.color);
    if (colourOk.length === 0) {
      return decide(dropped, `identified ${identified} (${distortedText}); no prompt object is ${identity.color}`);
    }
    const keyword = bestKeyword(colourOk, identity);
    return decide(
      { identified, kept: true, kind: 'distorted', keyword },
      `identified ${identified} (${distortedText}); taken as a failed attempt at "${describeDesc(keyword)}"`,
    );
  }
  return decide(dropped, `the model identified no object in this box (P(none)=${pNone}, ${distortedText})`);
}

export function isBackgroundSized([x1, y1, x2, y2]: PixelBox, width: number, height: number): boolean {
  return x2 - x1 >= BACKGROUND_SIDE_FRACTION * width && y2 - y1 >= BACKGROUND_SIDE_FRACTION * height;
}

const overlaps = (a: PixelBox, b: PixelBox): boolean => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];

/** The background probe of rule 1: a square inside `box` clear of `others`, nearest the box centre; undefined if none. */
export function backgroundProbe(box: PixelBox, others: readonly PixelBox[]): PixelBox | undefined {
  const [cx, cy] = [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2];
  for (const side of [10, 8, 6]) {
    let best: PixelBox | undefined;
    let bestDistance = Infinity;
    for (let y = box[1]; y + side <= box[3]; y++) {
      for (let x = box[0]; x + side <= box[2]; x++) {
        const square: PixelBox = [x, y, x + side, y + side];
        const distance = Math.hypot(x + side / 2 - cx, y + side / 2 - cy);
        if (distance < bestDistance && !others.some((o) => overlaps(square, o))) [best, bestDistance] = [square, distance];
      }
    }
    if (best !== undefined) return best;
  }
  return undefined;
}

/** Pixel box -> the region head's box, in [0, 1] of the image sides. */
export function unitBox([x1, y1, x2, y2]: PixelBox, width: number, height: number): UnitBox {
  return [x1 / width, y1 / height, x2 / width, y2 / height];
}

/** Identify every proposal with the model (one batched query) and decide which to keep. */
export function verifyRegions(
  model: UnifiedModel,
  image: RgbImage,
  options: { prompt: Prompt; proposals: readonly RegionProposal[] } & VerifyOptions,
): VerifiedRegion[] {
  const { prompt, proposals } = options;
  if (proposals.length === 0) return [];
  const others = (i: number): PixelBox[] => proposals.filter((_, k) => k !== i).map((o) => o.bbox);
  const probeOf = (r: RegionProposal, i: number): PixelBox | undefined =>
    isBackgroundSized(r.bbox, image.width, image.height) ? backgroundProbe(r.bbox, others(i)) : undefined;
  const probes = proposals.map(probeOf);
  const asked = proposals.map((r, i) => probes[i] ?? r.bbox);
  const identities = identifyRegions(
    model,
    image,
    asked.map((box) => unitBox(box, image.width, image.height)),
  );
  const { width, height } = image;
  return proposals.map((proposal, i) => verifyIdentity(proposal, identities[i], { ...options, prompt, width, height, probe: probes[i] }));
}
