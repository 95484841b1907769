// Representation alignment (ModelConfig.alignLayer, TrainConfig.alignWeight): the projector exists only with the
// option, the reported loss is the flow loss alone, the alignment term falls when trained and nothing leaks.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { resolveModelConfig } from '../lib/model/config';
import { DEFAULT_FLOW_CONFIG } from '../lib/model/flow';
import { AdamW } from '../lib/model/optimizer';
import { initModel, variablesOf } from '../lib/model/params';
import { flowTrainStep } from '../lib/model/train-step';
import { makeRng } from '../lib/rng';
import { syntheticBatch } from '../bench/workload';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
});

describe('representation alignment', () => {
  it('adds a projector only with alignLayer and rejects a layer outside the backbone', () => {
    expect(initModel(resolveModelConfig('tiny'), 1).params.align).toBeUndefined();
    expect(initModel(resolveModelConfig('tiny', { alignLayer: 1 }), 1).params.align).toBeDefined();
    expect(() => resolveModelConfig('tiny', { alignLayer: 99 })).toThrow(/alignLayer/);
  });

  it('needs the projector when its weight is set', () => {
    const model = initModel(resolveModelConfig('tiny'), 1);
    const batch = syntheticBatch(model.config, 2, makeRng(1));
    expect(() => flowTrainStep({ model, optimizer: new AdamW(variablesOf(model)), batch, rng: makeRng(2), flow: DEFAULT_FLOW_CONFIG, alignWeight: 0.5 })).toThrow(/alignLayer/);
  });

  it('reports the flow loss alone; the alignment term falls over training and no tensor leaks', () => {
    const config = resolveModelConfig('tiny', { alignLayer: 1 });
    const batch = syntheticBatch(config, 3, makeRng(4));
    const plain = initModel(config, 2);
    const aligned = initModel(config, 2);
    const step = (model: typeof plain, optimizer: AdamW, alignWeight: number): ReturnType<typeof flowTrainStep> =>
      flowTrainStep({ model, optimizer, batch, rng: makeRng(9), flow: DEFAULT_FLOW_CONFIG, alignWeight });
    // Same weights and draws: the first step's flow loss is the same with and without the alignment term.
    const first = step(aligned, new AdamW(variablesOf(aligned), { learningRate: 3e-3 }), 0.5);
    expect(first.loss).toBeCloseTo(step(plain, new AdamW(variablesOf(plain)), 0).loss, 5);
    expect(first.alignLoss).toBeGreaterThan(0);
    const optimizer = new AdamW(variablesOf(aligned), { learningRate: 3e-3 });
    const before = tf.memory().numTensors;
    const terms: number[] = [];
    for (let i = 0; i < 12; i++) terms.push(step(aligned, optimizer, 0.5).alignLoss as number);
    expect(tf.memory().numTensors).toBe(before);
    expect(terms[11]).toBeLessThan(terms[0]);
  });
});
