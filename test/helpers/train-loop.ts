// A few flow-training steps on one fixed batch: the loss must fall and tf.memory() must end where it started.
// Shared by the tests of the optional model parts (conv stem and refine, plan map, plan canvas).
import { expect } from 'vitest';
import * as tf from '../../lib/backend/tf';
import { DEFAULT_FLOW_CONFIG } from '../../lib/model/flow';
import { AdamW } from '../../lib/model/optimizer';
import { namedVariables, type UnifiedModel } from '../../lib/model/params';
import { flowTrainStep, type FlowBatch } from '../../lib/model/train-step';
import { makeRng } from '../../lib/rng';

/**
 * 12 steps at lr 3e-3, every one with the same rng (t, eps, dropout), so the loss measured is the same draw each time;
 * the mean of the last three steps must be below that of the first three.
 */
export function expectTrainsWithoutLeak(model: UnifiedModel, batch: FlowBatch): void {
  const optimizer = new AdamW(
    namedVariables(model.params).map((n) => n.variable),
    { learningRate: 3e-3 },
  );
  const before = tf.memory().numTensors;
  const losses: number[] = [];
  for (let i = 0; i < 12; i++) losses.push(flowTrainStep({ model, optimizer, batch, rng: makeRng(9), flow: DEFAULT_FLOW_CONFIG }).loss);
  expect(tf.memory().numTensors).toBe(before);
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  expect(mean(losses.slice(-3))).toBeLessThan(mean(losses.slice(0, 3)));
}
