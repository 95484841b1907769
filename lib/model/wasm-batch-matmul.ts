// Batched matmul a [N, M, K] @ b [N, K, L] for attention, fast on the wasm backend.
// Why: tfjs-backend-wasm 4.22 runs any matmul with batch > 1 in a naive C++ loop (~1.2 GFLOP/s),
// while a batch-1 matmul goes to XNNPACK. This runs N batch-1 XNNPACK matmuls on views into the
// inputs' wasm memory (no copies): each slice is registered under a private tensor id, multiplied
// by the backend's own BatchMatMul entry point, and unregistered. Measured on [128, 80, 80] @
// [128, 80, 32]: 7.7 ms instead of ~45 ms; results are bit-identical. It relies on internals of
// tfjs-backend-wasm 4.22 (register_tensor / dispose_data / cwrap), so it checks for them and falls
// back to tf.matMul on any other backend or version.
// (Backend territory: belongs in lib/backend/ops.ts once its owner adopts it.)
import * as tf from '../backend/tf';

interface WasmModule {
  cwrap(name: string, returnType: null, argTypes: string[]): (...args: unknown[]) => void;
  _register_tensor(id: number, size: number, memoryOffset: number): void;
  _dispose_data(id: number): void;
}

interface WasmBackendInternals {
  wasm: WasmModule;
  /** The backend's next tensor id; our private ids must stay above it. */
  dataIdNextNumber: number;
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

/** Ids at the top of the unsigned 32-bit range, far above the backend's own counter (1, 2, ... per tensor made). */
const VIEW_IDS = { a: 2 ** 32 - 3, b: 2 ** 32 - 2, out: 2 ** 32 - 1 };

let cached: { backend: WasmBackendInternals; batchMatMul: (...args: unknown[]) => void } | null | undefined;

function wasmInternals(): typeof cached {
  if (tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as unknown as Partial<WasmBackendInternals>;
  if (cached !== undefined && cached !== null && cached.backend === backend) return cached;
  const wasm = backend.wasm;
  const usable = wasm !== undefined && typeof wasm.cwrap === 'function' && typeof wasm._register_tensor === 'function' &&
    typeof wasm._dispose_data === 'function' && backend.dataIdMap !== undefined && typeof backend.makeOutput === 'function';
  cached = usable
    ? {
        backend: backend as WasmBackendInternals,
        batchMatMul: wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']),
      }
    : null;
  return cached;
}

function shapeBytes(shape: number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

/** a [N, M, K] @ b [N, K, L] -> [N, M, L]; no gradient (wrap it in a customGrad). */
export function batchMatMulNoGrad(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const internals = wasmInternals();
  const [batch, rows, inner] = a.shape;
  const [batchB, innerB, cols] = b.shape;
  if (batch !== batchB || inner !== innerB) throw new Error(`batchMatMul: shapes [${a.shape}] and [${b.shape}] do not multiply`);
  if (internals === null || internals === undefined || a.dtype !== 'float32' || b.dtype !== 'float32') return tf.matMul(a, b);
  const { backend, batchMatMul } = internals;
  if (!(backend.dataIdNextNumber < VIEW_IDS.a)) return tf.matMul(a, b);
  const aOffset = backend.dataIdMap.get(a.dataId)?.memoryOffset;
  const bOffset = backend.dataIdMap.get(b.dataId)?.memoryOffset;
  if (aOffset === undefined || bOffset === undefined) return tf.matMul(a, b);
  const out = backend.makeOutput([batch, rows, cols], 'float32');
  const outOffset = (backend.dataIdMap.get(out.dataId) as { memoryOffset: number }).memoryOffset;
  const aShape = shapeBytes([1, rows, inner]);
  const bShape = shapeBytes([1, inner, cols]);
  const { wasm } = backend;
  for (let n = 0; n < batch; n++) {
    wasm._register_tensor(VIEW_IDS.a, rows * inner, aOffset + 4 * n * rows * inner);
    wasm._register_tensor(VIEW_IDS.b, inner * cols, bOffset + 4 * n * inner * cols);
    wasm._register_tensor(VIEW_IDS.out, rows * cols, outOffset + 4 * n * rows * cols);
    batchMatMul(VIEW_IDS.a, aShape, 3, VIEW_IDS.b, bShape, 3, false, false, VIEW_IDS.out);
    // Unregistering also drops XNNPACK's operator cached for this id, so the next view starts clean.
    wasm._dispose_data(VIEW_IDS.a);
    wasm._dispose_data(VIEW_IDS.b);
    wasm._dispose_data(VIEW_IDS.out);
  }
  return tf.engine().makeTensorFromTensorInfo(out) as tf.Tensor3D;
}
