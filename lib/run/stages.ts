// Resumable stages of `srum run`: a stage whose outputs exist is skipped; every decision is appended to
// DIR/stages.jsonl as { stage, action: 'ran' | 'skipped', seconds, at } so a reader (and the tests) can see what a
// resumed invocation redid.
import * as path from 'node:path';
import { appendJsonl } from '../io';

export const STAGE_LOG = 'stages.jsonl';

export interface StageLogLine {
  stage: string;
  action: 'ran' | 'skipped';
  seconds: number;
  at: string;
}

export interface StageOptions {
  /** The run directory (holds the stage log). */
  dir: string;
  name: string;
  /** True when the stage's outputs are complete. */
  done: () => boolean;
  quiet?: boolean;
}

/** Run `work` unless the stage is done; log either way. */
export async function runStage(options: StageOptions, work: () => void | Promise<void>): Promise<void> {
  const started = performance.now();
  const skipped = options.done();
  if (!options.quiet) process.stderr.write(`[run] ${options.name}: ${skipped ? 'outputs exist, skipped' : 'running'}\n`);
  if (!skipped) await work();
  const seconds = (performance.now() - started) / 1000;
  const line: StageLogLine = { stage: options.name, action: skipped ? 'skipped' : 'ran', seconds, at: new Date().toISOString() };
  appendJsonl(path.join(options.dir, STAGE_LOG), line);
}
