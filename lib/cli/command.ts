// One way to define a `srum` subcommand: a name, its options (node:util parseArgs format) and a run function.
import { parseArgs } from 'node:util';
import type { EvalSplit } from '../eval/benchmarks';
import { DEFAULT_SAMPLING } from '../generate/generate';

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** One line for --help. */
  help: string;
  default?: string | boolean;
  short?: string;
}

export interface Command {
  name: string;
  /** One line shown in `srum --help`. */
  summary: string;
  options: Record<string, OptionSpec>;
  run(values: Record<string, string | boolean | undefined>): Promise<void>;
}

export function helpText(command: Command): string {
  const lines = [`srum ${command.name}: ${command.summary}`, '', 'Options:'];
  for (const [name, spec] of Object.entries(command.options)) {
    const value = spec.type === 'string' ? ` <value>` : '';
    const dflt = spec.default !== undefined ? ` (default: ${spec.default})` : '';
    lines.push(`  --${name}${value}`.padEnd(28) + spec.help + dflt);
  }
  lines.push('  --help'.padEnd(28) + 'show this help');
  return lines.join('\n');
}

/** Parse argv for one command; unknown options are errors that name the option. */
export function parseCommandArgs(command: Command, argv: string[]): Record<string, string | boolean | undefined> | 'help' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean }> = {};
  for (const [name, spec] of Object.entries(command.options)) {
    options[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.default !== undefined ? { default: spec.default } : {}) };
  }
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new Error(`${(error as Error).message}\n\n${helpText(command)}`);
  }
}

/** Read a required string option or fail with a message naming it. */
export function requireString(values: Record<string, string | boolean | undefined>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new Error(`missing required option --${name}`);
  return value;
}

/** Read an integer option (given as a string) or fail with a message naming it. */
export function intOption(values: Record<string, string | boolean | undefined>, name: string, fallback?: number): number {
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
export function numberOption(values: Record<string, string | boolean | undefined>, name: string, fallback: number): number {
  const value = values[name];
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (typeof value !== 'string' || !Number.isFinite(parsed)) throw new Error(`--${name} must be a number, got ${String(value)}`);
  return parsed;
}

/** A string option that must be one of `choices` (e.g. --split test|val); the error names them all. */
export function choiceOption<T extends string>(values: Record<string, string | boolean | undefined>, name: string, choices: readonly T[]): T {
  const value = String(values[name]);
  if (!(choices as readonly string[]).includes(value)) throw new Error(`--${name} must be one of ${choices.join(', ')}, got ${value}`);
  return value as T;
}

/** The evaluation splits: 'test' (reported numbers) or 'val' (choosing settings). */
export const EVAL_SPLITS: readonly EvalSplit[] = ['test', 'val'];

/** The one `--think on|off` option of the generating commands; its default is the default sampler setting (DEFAULT_SAMPLING.think). */
export const THINK_OPTION: OptionSpec = { type: 'string', help: 'think mode: plan the layout first (on) or generate straight from the prompt (off)', default: DEFAULT_SAMPLING.think ? 'on' : 'off' };

export function thinkOption(values: Record<string, string | boolean | undefined>): boolean {
  return choiceOption(values, 'think', ['on', 'off'] as const) === 'on';
}
