import { describe, expect, it } from 'vitest';
import { makeRng } from '../lib/rng';
import { parsePrompt } from '../lib/world/grammar';
import { sceneFor } from '../lib/world/layout';
import { contradict } from '../lib/world/sample';
import { sceneSatisfies } from '../lib/world/semantics';
import { samplePrompts } from '../lib/world/splits';
import { CATEGORIES } from '../lib/world/types';

describe('contradicting prompts', () => {
  it.each(CATEGORIES)('change one thing and are false on the scene in %s', (category) => {
    const rng = makeRng(11);
    for (const prompt of samplePrompts({ split: 'test', n: 15, seed: 4, categories: [category] })) {
      const scene = sceneFor(prompt, rng, { allowHeldOut: true });
      expect(sceneSatisfies(prompt, scene)).toBe(true);
      const contra = contradict(prompt, scene, rng);
      expect(contra.category).toBe(category);
      expect(contra.text).not.toBe(prompt.text);
      expect(sceneSatisfies(contra, scene)).toBe(false);
      expect(parsePrompt(contra.text)).toEqual(contra);
      // Same objects: one word changes, or four when the two objects of "inside" swap places.
      const a = prompt.text.split(' ');
      const b = contra.text.split(' ');
      if (a.length === b.length) expect(a.filter((w, i) => w !== b[i]).length).toBeLessThanOrEqual(4);
    }
  });
});
