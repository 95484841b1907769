// Data-parallel throughput of the same generation step: `replicas` worker threads, each with its own wasm backend
// and batch / replicas rows, averaging gradients through shared memory exactly as pretraining does
// (lib/train/parallel.ts replicaShard). The replicas run in lock step (two barriers per update), so the slowest one's
// time for `steps` updates is the run's time.
import * as path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { initBackend } from '../lib/backend/select';
import { resolveModelConfig, type ModelPreset } from '../lib/model/config';
import { DEFAULT_FLOW_CONFIG } from '../lib/model/flow';
import { AdamW } from '../lib/model/optimizer';
import { initModel, namedVariables } from '../lib/model/params';
import { flowTrainStep } from '../lib/model/train-step';
import { makeRng } from '../lib/rng';
import { replicaBuffers, replicaShard, type ReplicaBuffers } from '../lib/train/parallel';
import { generationStepBatch } from './workload';

interface BenchReplicaInput extends ReplicaBuffers {
  preset: ModelPreset;
  rowsPerReplica: number;
  steps: number;
  index: number;
  count: number;
}

/** Samples per second of `steps` data-parallel updates of `batchSize` rows over `replicas` threads (after one warm-up update). */
export async function replicaThroughput(preset: ModelPreset, batchSize: number, steps: number, replicas: number): Promise<number> {
  const { control, gradients } = replicaBuffers(resolveModelConfig(preset), replicas);
  const rowsPerReplica = Math.ceil(batchSize / replicas);
  const seconds = await Promise.all(
    Array.from(
      { length: replicas },
      (_, index) =>
        new Promise<number>((resolve, reject) => {
          const input: BenchReplicaInput = { preset, rowsPerReplica, steps, index, count: replicas, control, gradients };
          const worker = new Worker(path.join(__dirname, 'replicas.ts'), {
            workerData: input,
            execArgv: ['--require', 'ts-node/register/transpile-only'],
          });
          worker.on('message', (m: { seconds?: number; error?: string }) =>
            m.error !== undefined ? reject(new Error(m.error)) : resolve(m.seconds ?? NaN),
          );
          worker.on('error', reject);
        }),
    ),
  );
  return (steps * rowsPerReplica * replicas) / Math.max(...seconds);
}

async function replicaMain(input: BenchReplicaInput): Promise<void> {
  await initBackend({ prefer: 'wasm', quiet: true });
  const config = resolveModelConfig(input.preset);
  const model = initModel(config, 0);
  const optimizer = new AdamW(
    namedVariables(model.params).map((n) => n.variable),
    { learningRate: 1e-4 },
  );
  optimizer.reduceGradients = replicaShard(input).reduce;
  const batch = generationStepBatch(model, input.rowsPerReplica, 1 + input.index);
  const rng = makeRng(1 + input.index);
  const step = (): void => void flowTrainStep({ model, optimizer, batch, rng, flow: DEFAULT_FLOW_CONFIG });
  step(); // warm-up; its barriers also line the replicas up
  const started = performance.now();
  for (let i = 0; i < input.steps; i++) step();
  parentPort?.postMessage({ seconds: (performance.now() - started) / 1000 });
}

if (!isMainThread && (workerData as BenchReplicaInput | undefined)?.rowsPerReplica !== undefined) {
  replicaMain(workerData as BenchReplicaInput).catch((error: unknown) =>
    parentPort?.postMessage({ error: String(error instanceof Error ? error.stack : error) }),
  );
}
