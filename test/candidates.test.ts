// The candidates -> judge -> reward-map command chain end to end through main(), on a tiny checkpoint, n = 3:
// files in the released layouts, resume without duplicates (also after a deleted image and a torn last line),
// deterministic regeneration, and the reward-map command reading the judge's output.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../lib/backend/select';
import { main } from '../lib/cli/main';
import { CANDIDATES_JSONL, imageName } from '../lib/cli/candidates';
import { GLOBAL_OBJECT, parseRewardJsonl } from '../lib/judge/records';
import { saveCheckpoint } from '../lib/model/checkpoint';
import { resolveModelConfig } from '../lib/model/config';
import { disposeModel, initModel } from '../lib/model/params';
import { candidatePrompts, HELD_OUT_CATEGORIES } from '../lib/run/candidates';
import { mentionsHeldOut, splitsOf } from '../lib/world/splits';
import { parsePrompt } from '../lib/world/grammar';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'srum-candidates-'));
const checkpoint = path.join(root, 'ckpt');
const images = path.join(root, 'candidates');
const rewards = path.join(root, 'rewards.jsonl');
const lines = (file: string): string[] =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
const candidates = (): Promise<void> =>
  main(['candidates', '--n', '3', '--out', images, '--checkpoint', checkpoint, '--steps', '3', '--seed', '4', '--quiet']);
const judge = (): Promise<void> => main(['judge', '--images', images, '--out', rewards, '--checkpoint', checkpoint, '--quiet']);

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
  const model = initModel(resolveModelConfig('tiny'), 2);
  saveCheckpoint(checkpoint, {
    model,
    step: 0,
    info: { preset: 'tiny', seed: 2, wall_time_s: 0, data: {}, final_losses: {}, command: 'test' },
  });
  disposeModel(model);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('srum candidates', () => {
  it('writes 3 PNGs and a JSONL of training prompts; a rerun adds nothing; a deleted image comes back identical', async () => {
    await candidates();
    const first = lines(path.join(images, CANDIDATES_JSONL)).map((l) => JSON.parse(l) as { image_file: string; original_prompt: string });
    expect(first.map((c) => c.image_file)).toEqual([0, 1, 2].map(imageName));
    for (const c of first) {
      expect(fs.existsSync(path.join(images, c.image_file))).toBe(true);
      expect(splitsOf(parsePrompt(c.original_prompt))).toEqual(['train']);
    }
    const bytes = fs.readFileSync(path.join(images, imageName(1)));
    await candidates();
    expect(lines(path.join(images, CANDIDATES_JSONL))).toHaveLength(3);
    fs.rmSync(path.join(images, imageName(1)));
    await candidates();
    expect(lines(path.join(images, CANDIDATES_JSONL)).map((l) => JSON.parse(l) as unknown)).toEqual(first);
    expect(fs.readFileSync(path.join(images, imageName(1))).equals(bytes)).toBe(true);
  });

  it('refuses to resume a directory made with other settings', async () => {
    await expect(
      main(['candidates', '--n', '3', '--out', images, '--checkpoint', checkpoint, '--steps', '3', '--seed', '5', '--quiet']),
    ).rejects.toThrow(/other settings.*seed/);
    await expect(
      main([
        'candidates',
        '--n',
        '3',
        '--out',
        images,
        '--checkpoint',
        checkpoint,
        '--steps',
        '3',
        '--seed',
        '4',
        '--prompts',
        'held-out',
        '--quiet',
      ]),
    ).rejects.toThrow(/other settings.*prompts/);
  });

  it('--prompts held-out draws validation prompts that name a held-out pair, from every category that names colours', async () => {
    const dir = path.join(root, 'held-out');
    await main([
      'candidates',
      '--n',
      '2',
      '--out',
      dir,
      '--checkpoint',
      checkpoint,
      '--steps',
      '2',
      '--seed',
      '4',
      '--prompts',
      'held-out',
      '--quiet',
    ]);
    const written = lines(path.join(dir, CANDIDATES_JSONL)).map((l) => (JSON.parse(l) as { original_prompt: string }).original_prompt);
    expect(written).toEqual(candidatePrompts('held-out', 2, 4).map((p) => p.text));
    const prompts = candidatePrompts('held-out', 120, 4);
    expect(new Set(prompts.map((p) => p.category))).toEqual(new Set(HELD_OUT_CATEGORIES));
    for (const p of prompts) {
      expect(splitsOf(p)).toEqual(['val']);
      expect(mentionsHeldOut(p)).toBe(true);
    }
    await expect(
      main(['candidates', '--n', '2', '--out', dir, '--checkpoint', checkpoint, '--steps', '2', '--seed', '4', '--quiet']),
    ).rejects.toThrow(/other settings.*prompts/);
    await expect(
      main(['candidates', '--n', '2', '--out', dir, '--checkpoint', checkpoint, '--prompts', 'test', '--quiet']),
    ).rejects.toThrow(/--prompts/);
  });
});

describe('srum judge', () => {
  it('writes one released-schema training record per image, resumes without duplicates, and feeds reward-map', async () => {
    await judge();
    const read = parseRewardJsonl(fs.readFileSync(rewards, 'utf8'));
    expect(read.errors).toEqual([]);
    expect(read.entries).toHaveLength(3);
    for (const entry of read.entries) {
      if (entry.kind !== 'training') throw new Error(`line ${entry.line} is a ${entry.kind} record, expected a training record`);
      const record = entry.record;
      const entries = record.vlm_rewards as Array<{ object: string; score: number; bbox: number[]; reason?: string; area?: number }>;
      expect(entries[0].object).toBe(GLOBAL_OBJECT);
      expect(entries[0].bbox).toEqual([0, 0, 32, 32]);
      for (const entry of entries) {
        expect(Math.abs(entry.score)).toBeLessThanOrEqual(1);
        expect(typeof entry.reason).toBe('string');
      }
      for (const region of entries.slice(1)) expect(typeof region.area).toBe('number');
      expect(path.isAbsolute(record.bad_image_file)).toBe(true);
    }
    const text = fs.readFileSync(rewards, 'utf8');
    await judge();
    expect(fs.readFileSync(rewards, 'utf8')).toBe(text);
    // Killed mid-append: the last record is torn; a rerun cuts it and judges that image again.
    const kept = lines(rewards);
    fs.writeFileSync(rewards, kept.slice(0, 2).join('\n') + '\n' + kept[2].slice(0, 40));
    await judge();
    expect(lines(rewards)).toEqual(kept);

    const maps = path.join(root, 'maps.json');
    await main(['reward-map', '--mode', 'official', '--jsonl', rewards, '--width', '32', '--height', '32', '--out', maps]);
    const fused = JSON.parse(fs.readFileSync(maps, 'utf8')) as number[][][];
    expect(fused).toHaveLength(3);
    for (const map of fused) {
      expect(map).toHaveLength(32);
      expect(map.every((row) => row.length === 32 && row.every((v) => v >= 0 && v <= 1))).toBe(true);
    }
  });
});
