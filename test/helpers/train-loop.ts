// A few flow-training steps on one fixed batch: the loss must fall and tf.memory() must end where it started.
// Shared by the tests of the optional model parts (conv, time modulation, self-conditioning).
import { expect } from 'vitest';
import * as tf from '../../lib/backend/tf';
import { DEFAULT_FLOW_CONFIG } from '../../lib/model/flow';
import { AdamW } from '../../lib/model/optimizer';
import { namedVariables, type UnifiedModel } from '../../lib/model/params';
import { flowTrainStep, type FlowBatch } from '../../lib/model/train-step';
import { makeRng } from '../../lib/rng';

/**
 * 12 steps at lr 3e-3. `seedOfStep` gives each step's rng (t, eps, dropout): fixed by default, so the loss measured
 * is the same draw each time; vary it when the model draws per-step choices (self-conditioning's coin) and then
 * compare the mean of the first and last three steps.
 */
export function expectTrainsWithoutLeak(model: UnifiedModel, batch: FlowBatch, seedOfStep: (step: number) => number = () => 9): void {
  const optimizer = new AdamW(namedVariables(model.params).map((n) => n.variable), { learningRate: 3e-3 });
  const before = tf.memory().numTensors;
  const losses: number[] = [];
  for (let i = 0; i < 12; i++) losses.push(flowTrainStep({ model, optimizer, batch, rng: makeRng(seedOfStep(i)), flow: DEFAULT_FLOW_CONFIG }).loss);
  expect(tf.memory().numTensors).toBe(before);
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  expect(mean(losses.slice(-3))).toBeLessThan(mean(losses.slice(0, 3)));
}
