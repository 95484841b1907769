// `srum world-check`: how far can the evaluator be trusted? Renders test prompts and scores each image
// against its own prompt and a contradicting one (lib/eval/worldCheck.ts).
import { worldCheck } from '../eval/worldCheck';
import { Command, intOption, numberOption } from './command';

export const worldCheckCommand: Command = {
  name: 'world-check',
  summary: 'measure the evaluator on rendered test prompts (positive accuracy, false-accept rate)',
  options: {
    n: { type: 'string', help: 'number of test prompts (balanced over the 14 categories)', default: '280' },
    seed: { type: 'string', help: 'seed of prompts, layouts and noise', default: '0' },
    noise: { type: 'string', help: 'Gaussian noise sigma added to each image', default: '0' },
    blur: { type: 'string', help: 'box-blur radius applied before the noise', default: '0' },
    json: { type: 'boolean', help: 'print one JSON object', default: false },
  },
  async run(values) {
    const n = intOption(values, 'n');
    const started = Date.now();
    const result = worldCheck({
      n,
      seed: intOption(values, 'seed'),
      noise: numberOption(values, 'noise', 0),
      blur: intOption(values, 'blur', 0),
      onProgress: (done, total) => {
        // A live counter on a terminal; a line every 100 images in a log file.
        if (process.stderr.isTTY) process.stderr.write(`\rworld-check ${done}/${total}${done === total ? '\n' : ''}`);
        else if (done % 100 === 0 || done === total) process.stderr.write(`world-check ${done}/${total}\n`);
      },
    });
    const seconds = (Date.now() - started) / 1000;
    if (values.json) {
      const { failures, ...summary } = result;
      console.log(JSON.stringify({ ...summary, seconds, failures_shown: failures.slice(0, 5) }));
      return;
    }
    const pct = (x: number): string => `${(100 * x).toFixed(1)}%`.padStart(7);
    console.log(`world-check n=${result.n} seed=${result.seed} noise=${result.noise} blur=${result.blur} (${seconds.toFixed(1)} s)`);
    console.log(`${'category'.padEnd(15)}${'n'.padStart(6)} positive  false-accept`);
    for (const [category, r] of Object.entries(result.per_category))
      console.log(`${category.padEnd(15)}${String(r.n).padStart(6)} ${pct(r.positive_accuracy)}  ${pct(r.false_accept_rate)}`);
    console.log(
      `${'overall'.padEnd(15)}${String(result.n).padStart(6)} ${pct(result.positive_accuracy)}  ${pct(result.false_accept_rate)}`,
    );
    for (const f of result.failures.slice(0, 5))
      console.log(
        `  miss (${f.contradiction ? 'accepted a contradiction' : 'rejected its own prompt'}): ${f.prompt}\n` +
          `    ${f.details.join('\n    ')}`,
      );
  },
};
