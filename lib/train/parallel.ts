// Data-parallel pretraining on one machine: `replicas` worker threads, each with its own TensorFlow.js backend
// (the wasm backend runs one thread per process, so two replicas use both cores of a 2-core machine), each
// computing gradients on its share of every step's batch (pretrain.ts Shard). Gradients are averaged through
// shared memory: each replica writes its gradients into its slot, waits at a barrier, sums the slots in slot order
// (so every replica computes the same bits), waits again, and applies the average. The replicas therefore hold
// identical weights at every step, and replica 0 writes the log and the checkpoints.
// Ctrl-C / SIGTERM: the coordinator picks a step every replica can still reach (the furthest one's + 2), all
// stop there and replica 0 checkpoints; a second signal quits at once.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadCheckpoint, weightsDigest } from '../model/checkpoint';
import * as tf from '../backend/tf';
import { resolveModelConfig, type ModelConfig } from '../model/config';
import type { GradientReducer } from '../model/optimizer';
import { disposeModel, initModel, parameterCount } from '../model/params';
import { listenForStop } from './interrupt';
import { pretrain, type PretrainOptions, type PretrainResult, type Shard } from './pretrain';

/** Control words in shared memory: barrier arrivals, barrier generation, stop step, abort flag, then each replica's step. */
const ARRIVED = 0;
const GENERATION = 1;
const STOP_AT = 2;
const ABORT = 3;
const CONTROL_WORDS = 4;
const NO_STOP = 0x7fffffff;

/** The shared memory of `count` replicas of a model config: control words and one gradient slot per replica. */
export interface ReplicaBuffers {
  control: SharedArrayBuffer;
  gradients: SharedArrayBuffer;
}

export function replicaBuffers(config: ModelConfig, count: number): ReplicaBuffers {
  const probe = initModel(config, 0); // only to count the parameters
  const slotSize = parameterCount(probe.params);
  disposeModel(probe);
  const control = new SharedArrayBuffer(4 * (CONTROL_WORDS + count));
  new Int32Array(control)[STOP_AT] = NO_STOP;
  return { control, gradients: new SharedArrayBuffer(4 * slotSize * count) };
}

/** One replica per core on wasm (one thread per process, at most 4); native backends already use every core. */
export function autoReplicas(): number {
  return tf.getBackend() === 'wasm' ? Math.max(1, Math.min(4, os.cpus().length)) : 1;
}

/** What a replica thread is started with (structured-cloned; the buffers are shared, not copied). */
export interface ReplicaInput extends ReplicaBuffers {
  options: Omit<PretrainOptions, 'onStep'>;
  index: number;
  count: number;
}

export type ReplicaMessage =
  | { kind: 'done'; step: number; startStep: number; interrupted: boolean; /** SHA-256 of its final weights. */ weights: string }
  | { kind: 'error'; message: string };

/** Every replica waits here until all have arrived; throws when another replica failed (no deadlock). */
function barrier(control: Int32Array, count: number): void {
  const generation = Atomics.load(control, GENERATION);
  if (Atomics.add(control, ARRIVED, 1) === count - 1) {
    Atomics.store(control, ARRIVED, 0);
    Atomics.add(control, GENERATION, 1);
    Atomics.notify(control, GENERATION);
    return;
  }
  while (Atomics.load(control, GENERATION) === generation) {
    if (Atomics.load(control, ABORT) !== 0) throw new Error('another replica failed');
    Atomics.wait(control, GENERATION, generation, 1000);
  }
}

/** The Shard of replica `index` over the shared buffers. */
export function replicaShard(input: Pick<ReplicaInput, 'index' | 'count' | 'control' | 'gradients'>): Shard {
  const { index, count } = input;
  const control = new Int32Array(input.control);
  const slots = new Float32Array(input.gradients);
  const slotSize = slots.length / count;
  const reduce: GradientReducer = (gradients, sizes) => {
    let offset = index * slotSize;
    gradients.forEach((g, v) => {
      if (g !== undefined) slots.set(g, offset);
      offset += sizes[v];
    });
    barrier(control, count);
    let start = 0;
    const averaged = gradients.map((g, v) => {
      const size = sizes[v];
      const from = start;
      start += size;
      if (g === undefined) return undefined; // the same task on every replica: the same variables unreached
      const sum = new Float32Array(size);
      for (let r = 0; r < count; r++) {
        const slot = slots.subarray(r * slotSize + from, r * slotSize + from + size);
        for (let i = 0; i < size; i++) sum[i] += slot[i];
      }
      for (let i = 0; i < size; i++) sum[i] /= count;
      return sum;
    });
    barrier(control, count); // nobody overwrites a slot before every replica has read it
    return averaged;
  };
  return {
    index,
    count,
    reduce,
    stopAt: () => Atomics.load(control, STOP_AT),
    reached: (step) => Atomics.store(control, CONTROL_WORDS + index, step),
  };
}

/** The replica thread's script: the compiled file next to this one, or the TypeScript source under ts-node. */
function replicaScript(): { file: string; execArgv: string[] } {
  const compiled = path.join(__dirname, 'parallel-worker.js');
  if (fs.existsSync(compiled)) return { file: compiled, execArgv: [] };
  return { file: path.join(__dirname, 'parallel-worker.ts'), execArgv: ['--require', 'ts-node/register/transpile-only'] };
}

/**
 * pretrain() over `replicas` worker threads (1 = plain pretrain() in this thread). Same options and result;
 * the model returned is loaded from the final checkpoint.
 */
export async function pretrainParallel(options: PretrainOptions, replicas: number): Promise<PretrainResult> {
  if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`replicas must be a positive integer, got ${replicas}`);
  if (replicas === 1) return pretrain(options);
  if (options.onStep !== undefined) throw new Error('onStep cannot cross into replica threads');
  const { control, gradients } = replicaBuffers(resolveModelConfig(options.preset, options.model ?? {}), replicas);
  const words = new Int32Array(control);

  const stop = listenForStop(() => {
    let furthest = 0;
    for (let r = 0; r < replicas; r++) furthest = Math.max(furthest, Atomics.load(words, CONTROL_WORDS + r));
    Atomics.store(words, STOP_AT, furthest + 2);
    return `all replicas stop after step ${furthest + 2} and save a checkpoint`;
  });
  const { file, execArgv } = replicaScript();
  const { onStep: _onStep, ...cloneable } = options;
  try {
    const results = await Promise.all(
      Array.from(
        { length: replicas },
        (_, index) =>
          new Promise<ReplicaMessage & { kind: 'done' }>((resolve, reject) => {
            const workerData: ReplicaInput = { options: cloneable, index, count: replicas, control, gradients };
            const worker = new Worker(file, { workerData, execArgv });
            let settled = false;
            const fail = (message: string): void => {
              Atomics.store(words, ABORT, 1); // frees the others from the barrier
              if (!settled) reject(new Error(`replica ${index}: ${message}`));
              settled = true;
            };
            worker.on('message', (message: ReplicaMessage) => {
              if (message.kind === 'error') fail(message.message);
              else if (!settled) {
                settled = true;
                resolve(message);
              }
            });
            worker.on('error', (error) => fail(error.message));
            worker.on('exit', (code) => {
              if (!settled) fail(`exited with code ${code} before finishing`);
            });
          }),
      ),
    );
    const [first] = results;
    // The replicas applied the same averaged gradients in the same order: their weights must agree bit for bit.
    const differing = results.filter((r) => r.weights !== first.weights || r.step !== first.step);
    if (differing.length > 0)
      throw new Error(
        `data-parallel replicas ended with different weights or steps ` +
          `(${results.map((r) => `${r.step}:${r.weights.slice(0, 8)}`).join(', ')})`,
      );
    const { model, manifest } = loadCheckpoint(options.outDir);
    if (weightsDigest(model) !== first.weights)
      throw new Error(`${options.outDir}: the checkpoint's weights differ from the replicas' final weights`);
    return { model, manifest, step: first.step, startStep: first.startStep, interrupted: first.interrupted };
  } finally {
    stop.dispose();
  }
}
