// How often the world's rules give the same answer on a scene as read by some perception (`read`) as on the true
// scene: 280 train prompts (seed 4), each asked as itself and as a contradiction (when the scene admits one).
import { makeRng } from '../../lib/rng';
import { sceneFor } from '../../lib/world/layout';
import { contradict } from '../../lib/world/sample';
import { holds } from '../../lib/world/semantics';
import { samplePrompts } from '../../lib/world/splits';
import type { Scene } from '../../lib/world/types';

export function oracleAgreement(read: (scene: Scene) => Scene): { agree: number; total: number } {
  const prompts = samplePrompts({ split: 'train', n: 280, seed: 4 });
  const rng = makeRng(6);
  let agree = 0;
  let total = 0;
  for (const prompt of prompts) {
    let scene: Scene;
    try {
      scene = sceneFor(prompt, rng, { allowHeldOut: false });
    } catch {
      continue;
    } // a few tight prompts have no layout
    const seen = read(scene);
    let asked = [prompt];
    try {
      asked = [prompt, contradict(prompt, scene, rng)];
    } catch {
      /* no contradiction of this scene */
    }
    for (const c of asked.flatMap((p) => p.constraints)) {
      agree += holds(c, seen) === holds(c, scene) ? 1 : 0;
      total += 1;
    }
  }
  return { agree, total };
}
