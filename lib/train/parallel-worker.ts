// One replica of a data-parallel pretraining run (parallel.ts): its own backend, then pretrain() as a Shard.
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../backend/select';
import { weightsDigest } from '../model/checkpoint';
import { disposeModel } from '../model/params';
import { replicaShard, type ReplicaInput, type ReplicaMessage } from './parallel';
import { pretrainReplica } from './pretrain';

async function main(): Promise<void> {
  const input = workerData as ReplicaInput;
  await initBackend({ quiet: input.options.quiet === true || input.index > 0 });
  const result = await pretrainReplica(input.options, replicaShard(input));
  const message: ReplicaMessage = {
    kind: 'done',
    step: result.step,
    startStep: result.startStep,
    interrupted: result.interrupted,
    weights: weightsDigest(result.model),
  };
  disposeModel(result.model);
  parentPort?.postMessage(message);
}

main().catch((error: unknown) => {
  const message: ReplicaMessage = { kind: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  parentPort?.postMessage(message);
});
