// `srum gap`: measure the understanding-generation gap of a checkpoint (lib/eval/gap.ts).
import { initBackend } from '../backend/select';
import { measureGap } from '../eval/gap';
import { DEFAULT_SAMPLING, generateImages } from '../generate/generate';
import { loadCheckpoint } from '../model/checkpoint';
import { DEFAULT_PARSE, DEFAULT_VERDICT_SOURCE, promptVerdict, VERDICT_SOURCES } from '../judge/verdict';
import { ATTRIBUTE_SOURCES, GROUPING_MODES } from '../model/parse';
import { disposeModel } from '../model/params';
import { Progress } from '../progress';
import { choiceOption, Command, EVAL_SPLITS, intOption, THINK_OPTION, thinkOption } from './command';

export const DEFAULT_CHECKPOINT = 'data/base';

export const gapCommand: Command = {
  name: 'gap',
  summary: 'understanding vs generation accuracy of a checkpoint, per category (independent evaluator for generation)',
  options: {
    n: { type: 'string', help: 'test prompts (balanced over the 14 categories)', default: '400' },
    seed: { type: 'string', help: 'seed of prompts, scenes and sampling noise', default: '11' },
    verdict: {
      type: 'string',
      help:
        "source of the model's verdict: parse (scene parse + the world's rules), " +
        'regions (proposer boxes identified by the region head + the rules) or head (the verdict head)',
      default: DEFAULT_VERDICT_SOURCE,
    },
    grouping: { type: 'string', help: 'how the parse groups patches into objects: centres or components', default: DEFAULT_PARSE.grouping },
    attributes: {
      type: 'string',
      help: "where parsed objects get shape, texture and size: patches or region (the region head on each object's box)",
      default: DEFAULT_PARSE.attributes,
    },
    split: { type: 'string', help: 'prompt split: test, or val to compare runs without touching the test set', default: 'test' },
    checkpoint: { type: 'string', help: 'checkpoint directory', default: DEFAULT_CHECKPOINT },
    think: { ...THINK_OPTION, help: `sampler mode of generation_accuracy and the agreement: ${THINK_OPTION.help}` },
    'one-mode': { type: 'boolean', help: "skip the other mode's generation pass (generation_accuracy_normal / _think)" },
    json: { type: 'boolean', help: 'print one JSON object', default: false },
  },
  async run(values) {
    const n = intOption(values, 'n');
    const seed = intOption(values, 'seed');
    const dir = String(values.checkpoint);
    const split = choiceOption(values, 'split', EVAL_SPLITS);
    const source = choiceOption(values, 'verdict', VERDICT_SOURCES);
    const parse = {
      grouping: choiceOption(values, 'grouping', GROUPING_MODES),
      attributes: choiceOption(values, 'attributes', ATTRIBUTE_SOURCES),
    };
    const think = thinkOption(values);
    await initBackend();
    const { model, manifest } = loadCheckpoint(dir);
    const started = Date.now();
    let bar: Progress | undefined;
    const report = measureGap({
      n,
      seed,
      split,
      think,
      bothModes: values['one-mode'] !== true,
      judge: (images, prompts) => images.map((image, k) => promptVerdict(model, image, prompts[k], source, parse).passed),
      generate: (prompts, { think }) => {
        bar = new Progress({ label: think ? 'generate (think)' : 'generate', total: prompts.length, unit: 'img' });
        let last = 0;
        return generateImages(
          model,
          prompts.map((p) => p.text),
          {
            seed,
            think,
            onProgress: (done) => {
              bar?.tick(done - last);
              last = done;
            },
          },
        );
      },
      onStage: (stage) => process.stderr.write(`[gap] ${stage}\n`),
    });
    disposeModel(model);
    const result = {
      ...report,
      checkpoint: dir,
      split,
      verdict_source: source,
      parse,
      checkpoint_step: manifest.step,
      sampling: { ...DEFAULT_SAMPLING, think },
      seconds: (Date.now() - started) / 1000,
    };
    if (values.json) {
      console.log(JSON.stringify(result));
      return;
    }
    const pct = (x: number | undefined): string => (x === undefined ? '   -  ' : `${(100 * x).toFixed(1).padStart(5)}%`);
    console.log(`gap of ${dir} (step ${manifest.step}), n=${n} seed=${seed}, ${result.seconds.toFixed(0)} s`);
    console.log(
      `generate = ${result.sampling.think ? 'think' : 'normal'} mode (the default sampler settings unless --think says otherwise)`,
    );
    console.log('category          understand  generate  gen(normal) gen(think)  self-vs-eval');
    const rows = [
      ['overall', report] as const,
      ...Object.entries(report.per_category),
      ['in-domain', report.by_domain.in_domain] as const,
      ['held-out pair', report.by_domain.held_out] as const,
    ];
    for (const [name, r] of rows) {
      if (r)
        console.log(
          `${name.padEnd(16)}  ${pct(r.understanding_accuracy)}    ${pct(r.generation_accuracy)}    ` +
            `${pct(r.generation_accuracy_normal)}     ${pct(r.generation_accuracy_think)}      ${pct(r.understanding_on_generated)}`,
        );
    }
    const se = report.standard_error;
    console.log(
      `one standard error (repeats of a prompt text count once; ${report.distinct_prompts} distinct of ${report.n}): ` +
        `understand ${pct(se.understanding_accuracy).trim()}, generate ${pct(se.generation_accuracy).trim()}, ` +
        `self-vs-eval ${pct(se.understanding_on_generated).trim()}`,
    );
  },
};
