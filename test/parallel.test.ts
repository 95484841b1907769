// Data-parallel pretraining (tiny preset, 2 replica threads): the replicas end with bit-identical weights (the
// coordinator checks their digests against each other and the checkpoint), the same seed gives the same weights,
// a run stopped halfway resumes to exactly the uninterrupted run's weights, a resume must keep the replica count,
// and the averaged update is a real average: replica batches differ, so one replica alone trains differently.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../lib/backend/select';
import { readJsonl } from '../lib/io';
import { weightsDigest } from '../lib/model/checkpoint';
import { disposeModel } from '../lib/model/params';
import { pretrainParallel } from '../lib/train/parallel';
import { LOG_FILE, type PretrainOptions } from '../lib/train/pretrain';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'srum-parallel-'));
const STEPS = 6;
const options = (name: string, extra: Partial<PretrainOptions> = {}): PretrainOptions => ({
  preset: 'tiny',
  outDir: path.join(root, name),
  seed: 5,
  quiet: true,
  train: { steps: STEPS, batchSize: 4, understandingImages: 2, checkpointEvery: 2, logEvery: 2 },
  ...extra,
});

async function digestOf(opts: PretrainOptions, replicas: number): Promise<{ digest: string; step: number; startStep: number }> {
  const result = await pretrainParallel(opts, replicas);
  const digest = weightsDigest(result.model);
  disposeModel(result.model);
  return { digest, step: result.step, startStep: result.startStep };
}

let reference: string;

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
  reference = (await digestOf(options('full'), 2)).digest;
}, 120_000);

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('data-parallel pretraining (2 replica threads)', () => {
  it('same seed, same weights; one writer: a log line per interval, a manifest that records the replicas', async () => {
    expect((await digestOf(options('again'), 2)).digest).toBe(reference);
    expect(readJsonl<{ step: number }>(path.join(root, 'full', LOG_FILE)).map((r) => r.step)).toEqual([2, 4, 6]);
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'full', 'manifest.json'), 'utf8')) as { data: { replicas: number } };
    expect(manifest.data.replicas).toBe(2);
  }, 120_000);

  it('a run stopped at step 4 resumes to exactly the uninterrupted weights', async () => {
    const stopped = await digestOf(options('resumed', { stopAtStep: 4 }), 2);
    expect(stopped.step).toBe(4);
    const resumed = await digestOf(options('resumed'), 2);
    expect(resumed.startStep).toBe(4);
    expect(resumed.digest).toBe(reference);
  }, 120_000);

  it('refuses to resume with another replica count, and differs from a single-replica run', async () => {
    await digestOf(options('count', { stopAtStep: 2 }), 2);
    await expect(pretrainParallel(options('count'), 1)).rejects.toThrow('--replicas 2');
    expect((await digestOf(options('single'), 1)).digest).not.toBe(reference);
  }, 120_000);
});
