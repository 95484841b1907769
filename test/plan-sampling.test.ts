// Sampled plans (predictPlan with sampling, --plan-temperature): only the sampled fields leave the argmax, the same
// rng seed gives the same plan, a temperature near 0 is the argmax, a high one does explore, nothing leaks; and
// think-mode candidates drawn with a plan temperature record the plan each image was generated from.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { PLAN_FIELDS, PLAN_VALUES } from '../lib/model/classes';
import { resolveModelConfig } from '../lib/model/config';
import { disposeModel, initModel, type UnifiedModel } from '../lib/model/params';
import { predictPlan, SAMPLED_PLAN_FIELDS } from '../lib/model/plan';
import { readJsonl } from '../lib/io';
import { hashString, makeRng } from '../lib/rng';
import { CANDIDATES_JSONL, generateCandidates, type CandidateLine } from '../lib/run/candidates';
import { encodeBatch } from '../lib/world/tokenizer';

const config = resolveModelConfig('tiny', { planGrid: 16, planCellDecoder: true });
const prompts = Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? 'a red circle on the left of a blue square' : 'two green triangles'));
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-sampling-'));
let model: UnifiedModel;

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
  model = initModel(config, 4);
  // Spread the plan head's logits so sampling has something to choose between (an untrained head is near uniform).
  model.params.think.head.w.assign(tf.mul(model.params.think.head.w, 20));
});
afterAll(() => {
  disposeModel(model);
  fs.rmSync(root, { recursive: true, force: true });
});

describe('plan sampling', () => {
  const tokens = encodeBatch(prompts, config.maxTextTokens);
  const column = (plan: Int32Array, field: string): number[] =>
    Array.from({ length: plan.length / PLAN_FIELDS.length }, (_, r) => plan[r * PLAN_FIELDS.length + PLAN_FIELDS.indexOf(field as never)]);

  it('changes only the sampled fields, is seeded, is the argmax near temperature 0, and leaks nothing', () => {
    const before = tf.memory().numTensors;
    const argmax = predictPlan(model, tokens);
    const hot = predictPlan(model, tokens, { temperature: 50, rng: makeRng(1) });
    expect(tf.memory().numTensors).toBe(before);
    expect(predictPlan(model, tokens, { temperature: 50, rng: makeRng(1) })).toEqual(hot);
    expect(predictPlan(model, tokens, { temperature: 1e-4, rng: makeRng(2) })).toEqual(argmax);
    expect(SAMPLED_PLAN_FIELDS).toEqual(['shape']);
    for (const field of ['present', 'color', 'texture', 'size']) expect(column(hot, field)).toEqual(column(argmax, field));
    const present = column(argmax, 'present').map((p) => p === 1);
    const shapes = (plan: Int32Array): number[] => column(plan, 'shape').filter((_, r) => present[r]);
    expect(shapes(hot)).not.toEqual(shapes(argmax)); // 24 prompts at temperature 50: some shape moves
    expect(() => predictPlan(model, tokens, { temperature: 0, rng: makeRng(1) })).toThrow(/temperature/);
  });

  it('candidates with a plan temperature record the plans they were drawn from, and are reproducible', () => {
    const make = (dir: string): CandidateLine[] => {
      generateCandidates({ model, source: 'test', dir, n: 3, seed: 5, think: true, steps: 2, batch: 3, planTemperature: 50, quiet: true });
      return readJsonl<CandidateLine>(path.join(dir, CANDIDATES_JSONL));
    };
    const lines = make(path.join(root, 'a'));
    const argmaxPlan = predictPlan(
      model,
      encodeBatch(
        lines.map((l) => l.original_prompt),
        config.maxTextTokens,
      ),
    );
    const sampled = predictPlan(
      model,
      encodeBatch(
        lines.map((l) => l.original_prompt),
        config.maxTextTokens,
      ),
      { temperature: 50, rng: makeRng(hashString('plans:5:0')) },
    );
    expect(lines.flatMap((l) => l.plan ?? [])).toEqual(Array.from(sampled));
    expect(lines.flatMap((l) => l.plan ?? [])).toHaveLength(3 * PLAN_VALUES);
    expect(Array.from(sampled)).not.toEqual(Array.from(argmaxPlan));
    expect(make(path.join(root, 'b'))).toEqual(lines);
    expect(
      fs.readFileSync(path.join(root, 'a', lines[0].image_file)).equals(fs.readFileSync(path.join(root, 'b', lines[0].image_file))),
    ).toBe(true);
    expect(() =>
      generateCandidates({ model, source: 'test', dir: path.join(root, 'a'), n: 3, seed: 5, think: true, steps: 2, batch: 3, quiet: true }),
    ).toThrow(/other settings.*plan_temperature/);
    expect(() =>
      generateCandidates({
        model,
        source: 'test',
        dir: path.join(root, 'c'),
        n: 3,
        seed: 5,
        think: false,
        steps: 2,
        batch: 3,
        planTemperature: 1,
        quiet: true,
      }),
    ).toThrow(/think mode/);
  });
});
