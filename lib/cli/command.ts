// One way to define a `srum` subcommand: a name, its options (node:util parseArgs format) and a run function.
import { parseArgs } from 'node:util';
import type { EvalSplit } from '../eval/benchmarks';
import { DEFAULT_SAMPLING } from '../generate/generate';

/** Parsed option values of one command: strings, booleans, or undefined when absent. */
export type Values = Record<string, string | boolean | undefined>;

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** One line for --help. */
  help: string;
  default?: string | boolean;
  /** The default --help shows when the parser leaves the option unset (a config supplies the value, e.g. `srum run`). */
  shownDefault?: string;
  short?: string;
}

export interface Command {
  name: string;
  /** One line shown in `srum --help`. */
  summary: string;
  options: Record<string, OptionSpec>;
  /** Lines shown after the options in --help. */
  notes?: string[];
  run(values: Values): Promise<void>;
}

export function helpText(command: Command): string {
  const lines = [`srum ${command.name}: ${command.summary}`, '', 'Options:'];
  for (const [name, spec] of Object.entries(command.options)) {
    const value = spec.type === 'string' ? ` <value>` : '';
    const shown = spec.default ?? spec.shownDefault;
    const dflt = shown !== undefined ? ` (default: ${shown})` : '';
    const head = `  --${name}${value}`;
    lines.push((head.length < 28 ? head.padEnd(28) : `${head} `) + spec.help + dflt);
  }
  lines.push('  --help'.padEnd(28) + 'show this help');
  if (command.notes !== undefined) lines.push('', ...command.notes);
  return lines.join('\n');
}

/** Parse argv for one command; unknown options are errors that name the option. */
export function parseCommandArgs(command: Command, argv: string[]): Values | 'help' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean }> = {};
  for (const [name, spec] of Object.entries(command.options)) {
    const { type, short, default: fallback } = spec;
    options[name] = { type, ...(short ? { short } : {}), ...(fallback !== undefined ? { default: fallback } : {}) };
  }
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Values;
  } catch (error) {
    throw new Error(`${(error as Error).message}\n\n${helpText(command)}`, { cause: error });
  }
}

/** Read a required string option or fail with a message naming it. */
export function requireString(values: Values, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new Error(`missing required option --${name}`);
  return value;
}

/** Read an integer option (given as a string) or fail with a message naming it. */
export function intOption(values: Values, name: string, fallback?: number): number {
  const value = values[name];
  if (value === undefined) {
    if (fallback === undefined) throw new Error(`missing required option --${name}`);
    return fallback;
  }
  const parsed = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(parsed)) throw new Error(`--${name} must be an integer, got ${String(value)}`);
  return parsed;
}

/** Read a number option (given as a string) or fail with a message naming it. */
export function numberOption(values: Values, name: string, fallback: number): number {
  const value = values[name];
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (typeof value !== 'string' || !Number.isFinite(parsed)) throw new Error(`--${name} must be a number, got ${String(value)}`);
  return parsed;
}

/** A string option that must be one of `choices` (e.g. --split test|val); the error names them all. */
export function choiceOption<T extends string>(values: Values, name: string, choices: readonly T[]): T {
  const value = String(values[name]);
  if (!(choices as readonly string[]).includes(value)) throw new Error(`--${name} must be one of ${choices.join(', ')}, got ${value}`);
  return value as T;
}

/** The evaluation splits: 'test' (reported numbers) or 'val' (choosing settings). */
export const EVAL_SPLITS: readonly EvalSplit[] = ['test', 'val'];

/** The one `--think on|off` option of the generating commands; its default is the default sampler setting (DEFAULT_SAMPLING.think). */
export const THINK_OPTION: OptionSpec = {
  type: 'string',
  help: 'think mode: plan the layout first (on) or generate straight from the prompt (off)',
  default: DEFAULT_SAMPLING.think ? 'on' : 'off',
};

export function thinkOption(values: Values): boolean {
  return choiceOption(values, 'think', ['on', 'off'] as const) === 'on';
}
