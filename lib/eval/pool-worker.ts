// One sampling worker of SamplerPool (pool.ts): its own backend; holds the models it was sent, draws the batches it
// is asked for and scores them as the job says (pool.ts drawAndScore).
import { parentPort } from 'node:worker_threads';
import * as tf from '../backend/tf';
import { initBackend } from '../backend/select';
import { disposeModel, initModel, namedVariables, type UnifiedModel } from '../model/params';
import { drawAndScore, KEEP_MODELS, type ModelWeights, type PoolReply, type PoolRequest } from './pool';

const models = new Map<string, UnifiedModel>();
let job: Extract<PoolRequest, { kind: 'job' }> | undefined;

function modelOf(weights: ModelWeights | { key: string }): UnifiedModel {
  const held = models.get(weights.key);
  if (held !== undefined) return held;
  if (!('values' in weights)) throw new Error(`model ${weights.key.slice(0, 8)} was never sent to this worker`);
  const model = initModel(weights.config, 0);
  for (const { name, variable } of namedVariables(model.params)) {
    const values = weights.values[name];
    if (values === undefined || values.length !== variable.size) throw new Error(`weights: ${name} missing or of the wrong size`);
    variable.assign(tf.tensor(values, variable.shape));
  }
  models.set(weights.key, model);
  if (models.size > KEEP_MODELS) {
    const [oldest] = models.keys();
    disposeModel(models.get(oldest)!);
    models.delete(oldest);
  }
  return model;
}

function handle(request: PoolRequest): void {
  if (request.kind === 'quit') return process.exit(0);
  if (request.kind === 'job') {
    job = request;
    modelOf(request.weights);
    return;
  }
  if (job === undefined || job.id !== request.id) throw new Error(`batch of job ${request.id} before its job`);
  const { images, scores } = drawAndScore(modelOf(job.weights), job.prompts, request.first, job.options, job.scoring);
  const pixels = new Float32Array(images.reduce((n, image) => n + image.data.length, 0));
  let offset = 0;
  for (const image of images) {
    pixels.set(image.data, offset);
    offset += image.data.length;
  }
  const reply: PoolReply = { kind: 'batch', id: request.id, first: request.first, pixels, scores };
  parentPort?.postMessage(reply, [pixels.buffer]);
}

async function main(): Promise<void> {
  await initBackend({ quiet: true });
  parentPort?.on('message', (request: PoolRequest) => {
    try {
      handle(request);
    } catch (error) {
      const reply: PoolReply = { kind: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
      parentPort?.postMessage(reply);
    }
  });
  parentPort?.postMessage({ kind: 'ready' } satisfies PoolReply);
}

void main();
