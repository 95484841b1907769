// A figure script whose input is one result file of an experiment in the registry: `--in` and `--out` with defaults,
// and a result file that is not there yet skipped with a line naming the experiment that writes it (so
// `npm run figures` and a fresh clone run it without failing).
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { saveFigure, type Figure } from '../../lib/plot';

export interface ResultFigure<T> {
  /** Default --in and --out (the figure path without extension). */
  input: string;
  out: string;
  /** The `npm run experiments -- NAME` that writes the input. */
  experiment: string;
  /** The fields the chart needs, checked before drawing: a file of another kind is an error that says so. */
  fields: ReadonlyArray<keyof T & string>;
  chart: (result: T) => Figure;
}

export async function drawResultFigure<T>(spec: ResultFigure<T>): Promise<void> {
  const { values } = parseArgs({
    options: { in: { type: 'string', default: spec.input }, out: { type: 'string', default: spec.out } },
    strict: true,
  });
  if (!fs.existsSync(values.in)) {
    console.log(`skipped ${values.out}: ${values.in} does not exist yet (npm run experiments -- ${spec.experiment} writes it)`);
    return;
  }
  const result = JSON.parse(fs.readFileSync(values.in, 'utf8')) as T;
  const missing = spec.fields.filter((field) => result[field] === undefined);
  if (missing.length > 0)
    throw new Error(`${values.in} has no ${missing.join(', ')}: not a result of npm run experiments -- ${spec.experiment}`);
  await saveFigure(spec.chart(result), values.out, values.in);
}
