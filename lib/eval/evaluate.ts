// The independent evaluator's verdict: does an image show what its prompt says? Objects come from pixels
// alone (objects.ts); each constraint is then checked with the world's own rules (semantics.ts: `matches`
// and `relationHolds`), so the evaluator and the scene oracle cannot drift apart. What the evaluator feeds
// those rules is read from the picture:
//   - position: the fitted shape's centre;
//   - diameter: the canonical diameter of the size class read (pixel diameters of 11 and 14 differ by only
//     3 px, so a one-pixel misfit must not decide "bigger than");
//   - depth: 1 for the one of the pair that owns the pixels where the two fitted shapes overlap, else 0
//     (equal depths: neither is behind the other);
//   - mask: the fitted shape, occluded part included.
import { WORLD } from '../world/config';
import { promptText, parsePrompt } from '../world/grammar';
import { Placed, matches, relationHolds } from '../world/semantics';
import { Category, Constraint, ObjectDesc, Prompt, RgbImage } from '../world/types';
import { DetectedObject, Detection, detectObjects } from './objects';

export interface ConstraintResult {
  constraint: Constraint;
  text: string;
  passed: boolean;
  detail: string;
}

export interface Verdict {
  passed: boolean;
  category: Category;
  prompt: string;
  constraints: ConstraintResult[];
  objects: DetectedObject[];
}

export function describeObject(o: DetectedObject): string {
  return `${o.size} ${o.texture} ${o.color} ${o.shape} at (${o.cx.toFixed(1)}, ${o.cy.toFixed(1)})`;
}

function placed(detection: Detection, index: number, other: number): Placed {
  const o = detection.objects[index];
  return {
    cx: o.cx,
    cy: o.cy,
    diameter: WORLD.diameters[o.size],
    depth: o.inFrontOf.includes(other) ? 1 : 0,
    mask: detection.masks[index],
  };
}

function checkConstraint(detection: Detection, constraint: Constraint): { passed: boolean; detail: string } {
  const objects = detection.objects;
  const matching = (desc: ObjectDesc): number[] => objects.map((o, i) => (matches(desc, o) ? i : -1)).filter((i) => i >= 0);
  const list = (indices: number[]): string => (indices.length === 0 ? 'none' : indices.map((i) => describeObject(objects[i])).join('; '));
  switch (constraint.kind) {
    case 'exists': {
      const found = matching(constraint.object);
      return { passed: found.length >= 1, detail: `${found.length} matching: ${list(found)}` };
    }
    case 'count': {
      const found = matching(constraint.object);
      return { passed: found.length === constraint.count, detail: `${found.length} matching (want ${constraint.count}): ${list(found)}` };
    }
    case 'relation': {
      const subjects = matching(constraint.subject);
      const others = matching(constraint.object);
      if (subjects.length !== 1 || others.length !== 1 || subjects[0] === others[0]) {
        return {
          passed: false,
          detail: `need exactly one subject and one object; subject matches: ${list(subjects)}; object matches: ${list(others)}`,
        };
      }
      const [s, o] = [subjects[0], others[0]];
      const ps = placed(detection, s, o);
      const po = placed(detection, o, s);
      const passed = relationHolds(constraint.relation, ps, po);
      const geometry =
        `dx=${(po.cx - ps.cx).toFixed(1)} dy=${(po.cy - ps.cy).toFixed(1)}, diameters ${ps.diameter}/${po.diameter}, ` +
        `depth ${ps.depth}/${po.depth}`;
      return { passed, detail: `subject ${describeObject(objects[s])}; object ${describeObject(objects[o])}; ${geometry}` };
    }
  }
}

/** Check a prompt against objects already detected (detect once, check several prompts). */
export function evaluateDetection(detection: Detection, prompt: Prompt): Verdict {
  const constraints = prompt.constraints.map((constraint) => ({
    constraint,
    text: promptText([constraint], false),
    ...checkConstraint(detection, constraint),
  }));
  return {
    passed: constraints.every((c) => c.passed),
    category: prompt.category,
    prompt: prompt.text,
    constraints,
    objects: detection.objects,
  };
}

/** Score an image ([H, W, 3] in [0, 1]) against a prompt (a Prompt, or text parsed with the world's grammar). */
export function evaluateImage(image: RgbImage, prompt: Prompt | string): Verdict {
  const parsed = typeof prompt === 'string' ? parsePrompt(prompt) : prompt;
  return evaluateDetection(detectObjects(image), parsed);
}
