// Layout and detail, the two scores of the paper's per-step analysis (Figure 4): "layout assesses the concordance of the
// overall structure", "detail the fidelity of the generated fine-grained details". Here both are shares of constraints
// derived from the prompt's own constraints, so the independent evaluator (evaluateDetection) and the model's judge
// (promptVerdict) check exactly the same statements with the world's rules (semantics.ts):
//   - Layout: every relation constraint (left / right / above / below, in front of / behind, bigger / smaller than,
//     inside) and every count constraint of the prompt, each object it names reduced to its noun (the shape), plus
//     the fields that tell it from another object of that shape the prompt names (the prompt's descriptions are
//     pairwise `disjoint`, world/sample.ts, so one always exists). "a small green circle right of a blue circle" asks
//     for a green circle right of a blue circle; "two yellow triangles and one green circle" for exactly two triangles
//     and one circle: where things are and how many, whatever their texture or size. An extra object of a named
//     shape is a layout error (the relation then finds two candidate subjects). Prompts with no relation or count
//     (the colour, shape and texture categories) have no layout score.
//   - Detail: every distinct noun-attribute pair the prompt states, asked as "some object is a ...": the noun alone
//     (a circle) and the noun with each colour, texture or size the prompt gives it (a green circle, a small circle).
//   - Score of an image: the share of its layout (detail) constraints satisfied: the evaluator's ConstraintResult.passed,
//     or the judge's P(yes) > 0.5.
import type { UnifiedModel } from '../model/params';
import { promptVerdict } from '../judge/verdict';
import type { Constraint, ObjectDesc, Prompt, RgbImage } from '../world/types';
import { evaluateDetection } from './evaluate';
import type { Detection } from './objects';

const ATTRIBUTES = ['color', 'texture', 'size'] as const;

/** A prompt's layout and detail constraints, as one prompt (layout first) so each image is read once. */
export interface LayoutDetailPrompt {
  /** The original prompt's text and category with the derived constraints: layout ones, then detail ones. */
  prompt: Prompt;
  /** How many of prompt.constraints are layout constraints (the rest are detail). */
  layoutCount: number;
}

/** Shares in [0, 1] of an image's layout and detail constraints satisfied; layout undefined when the prompt has none. */
export interface LayoutDetailScore {
  layout: number | undefined;
  detail: number;
}

const descriptionsOf = (c: Constraint): ObjectDesc[] => (c.kind === 'relation' ? [c.subject, c.object] : [c.object]);

/** The noun plus the fields in which the description differs from another same-shape description of the prompt. */
function nounAndDistinguishing(desc: ObjectDesc, all: readonly ObjectDesc[]): ObjectDesc {
  const reduced: ObjectDesc = { shape: desc.shape };
  for (const other of all.filter((o) => o !== desc && o.shape === desc.shape))
    for (const field of ATTRIBUTES) {
      const [mine, theirs] = [desc[field], other[field]];
      if (mine !== undefined && theirs !== undefined && mine !== theirs) Object.assign(reduced, { [field]: mine });
    }
  return reduced;
}

function layoutConstraints(prompt: Prompt): Constraint[] {
  const structural = prompt.constraints.filter((c) => c.kind !== 'exists');
  const all = structural.flatMap(descriptionsOf);
  const reduce = (desc: ObjectDesc): ObjectDesc => nounAndDistinguishing(desc, all);
  return structural.map((c) =>
    c.kind === 'relation' ? { ...c, subject: reduce(c.subject), object: reduce(c.object) } : { ...c, object: reduce(c.object) },
  );
}

function detailConstraints(prompt: Prompt): Constraint[] {
  const pairs = new Map<string, ObjectDesc>();
  for (const desc of prompt.constraints.flatMap(descriptionsOf)) {
    const asked: ObjectDesc[] = [{ shape: desc.shape }];
    for (const field of ATTRIBUTES) if (desc[field] !== undefined) asked.push({ shape: desc.shape, [field]: desc[field] });
    for (const one of asked) pairs.set(JSON.stringify(one), one);
  }
  return [...pairs.values()].map((object) => ({ kind: 'exists', object }));
}

/** The layout and detail constraints of a prompt (see the definitions at the top of this file). */
export function layoutDetailPrompt(prompt: Prompt): LayoutDetailPrompt {
  const layout = layoutConstraints(prompt);
  return { prompt: { ...prompt, constraints: [...layout, ...detailConstraints(prompt)] }, layoutCount: layout.length };
}

function shares(satisfied: readonly boolean[], layoutCount: number): LayoutDetailScore {
  const share = (xs: readonly boolean[]): number => xs.filter(Boolean).length / xs.length;
  return {
    layout: layoutCount === 0 ? undefined : share(satisfied.slice(0, layoutCount)),
    detail: share(satisfied.slice(layoutCount)),
  };
}

/** The independent evaluator's layout and detail scores of an image, from its detected objects. */
export function evaluatorLayoutDetail(detection: Detection, split: LayoutDetailPrompt): LayoutDetailScore {
  const verdict = evaluateDetection(detection, split.prompt);
  return shares(
    verdict.constraints.map((c) => c.passed),
    split.layoutCount,
  );
}

/** The model's own layout and detail scores of an image: its judge's P(yes) > 0.5 per constraint (default verdict source). */
export function judgeLayoutDetail(model: UnifiedModel, image: RgbImage, split: LayoutDetailPrompt): LayoutDetailScore {
  const verdict = promptVerdict(model, image, split.prompt);
  return shares(
    verdict.probabilities.map((p) => p > 0.5),
    split.layoutCount,
  );
}
