// `srum render`: lay out a scene for a prompt and write it as a PNG.
import { makeRng } from '../rng';
import { WORLD } from '../world/config';
import { parsePrompt } from '../world/grammar';
import { sceneFor } from '../world/layout';
import { writePng } from '../world/png';
import { renderScene } from '../world/render';
import { Command, intOption, requireString } from './command';

export const renderCommand: Command = {
  name: 'render',
  summary: 'render a scene that satisfies a prompt to a PNG',
  options: {
    prompt: { type: 'string', help: 'prompt text in the world grammar, e.g. "a red circle on the left of a blue square"' },
    seed: { type: 'string', help: 'layout seed (integer)', default: '0' },
    out: { type: 'string', help: 'output PNG file' },
    size: { type: 'string', help: 'image side in pixels', default: String(WORLD.imageSize) },
  },
  async run(values) {
    const prompt = parsePrompt(requireString(values, 'prompt'));
    const out = requireString(values, 'out');
    const size = intOption(values, 'size');
    if (size < WORLD.imageSize) throw new Error(`--size must be at least ${WORLD.imageSize}, got ${size}`);
    const scene = sceneFor(prompt, makeRng(intOption(values, 'seed')), { allowHeldOut: true, size });
    writePng(out, renderScene(scene));
    console.log(`wrote ${out} (${size}x${size}, ${prompt.category}: "${prompt.text}", ${scene.objects.length} objects)`);
  },
};
