// `srum evaluate`: score an image file against a prompt with the independent evaluator.
import { evaluateImage } from '../eval/evaluate';
import { readPng } from '../world/png';
import { Command, requireString } from './command';

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'score a PNG against a prompt with the independent (pixel-only) evaluator',
  options: {
    image: { type: 'string', help: 'PNG file to score' },
    prompt: { type: 'string', help: 'prompt text in the world grammar' },
    json: { type: 'boolean', help: 'print the full verdict as JSON', default: false },
  },
  async run(values) {
    const verdict = evaluateImage(readPng(requireString(values, 'image')), requireString(values, 'prompt'));
    if (values.json) {
      console.log(JSON.stringify(verdict, null, 2));
      return;
    }
    console.log(`${verdict.passed ? 'PASS' : 'FAIL'} [${verdict.category}] ${verdict.prompt}`);
    for (const c of verdict.constraints) console.log(`  ${c.passed ? 'ok  ' : 'FAIL'} ${c.text}: ${c.detail}`);
    console.log(`  objects seen (world pixels): ${verdict.objects.length}`);
  },
};
