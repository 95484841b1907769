// Batched matmul a [N, M, K] @ b [N, K, L] -> [N, M, L] on wasm through XNNPACK, no gradient.
// tfjs-backend-wasm 4.22 sends every matmul with batch > 1 (or a transpose flag) to a naive C++
// loop (~1 GFLOP/s); only batch-1, untransposed products reach XNNPACK. This runs N batch-1
// products on views into the inputs' wasm memory: each item is registered under a private
// tensor id, multiplied by the backend's own BatchMatMul entry point, and unregistered (which
// also drops the XNNPACK operator cached for that id). Technique first written for the model's
// attention. It uses internals of tfjs-backend-wasm 4.22
// (_register_tensor, _dispose_data, cwrap), checks for them, and returns null when unusable.
import * as tf from './tf';

interface WasmModule {
  cwrap(name: string, returnType: null, argTypes: string[]): (...args: unknown[]) => void;
  _register_tensor(id: number, size: number, memoryOffset: number): void;
  _dispose_data(id: number): void;
}

interface WasmInternals {
  wasm: WasmModule;
  /** The backend's next tensor id; the private view ids must stay above it. */
  dataIdNextNumber: number;
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

/** Far above the backend's own id counter (which starts at 1 and counts tensors created). */
const VIEW_IDS = { a: 2 ** 30 + 16, b: 2 ** 30 + 17, out: 2 ** 30 + 18 };

let bound: { backend: WasmInternals; batchMatMul: (...args: unknown[]) => void } | null = null;

function wasmInternals(): typeof bound {
  if (tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as unknown as Partial<WasmInternals>;
  if (bound !== null && bound.backend === backend) return bound;
  const wasm = backend.wasm;
  const usable =
    wasm !== undefined &&
    typeof wasm.cwrap === 'function' &&
    typeof wasm._register_tensor === 'function' &&
    typeof wasm._dispose_data === 'function' &&
    backend.dataIdMap !== undefined &&
    typeof backend.makeOutput === 'function';
  if (!usable) return null;
  const argTypes = ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number'];
  bound = { backend: backend as WasmInternals, batchMatMul: wasm.cwrap('BatchMatMul', null, argTypes) };
  return bound;
}

const shapeBytes = (shape: number[]): Uint8Array => new Uint8Array(new Int32Array(shape).buffer);

/** a [N, M, K] @ b [N, K, L] per item through XNNPACK, or null when not on a usable wasm backend. */
export function wasmBatchMatMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor | null {
  const internals = wasmInternals();
  if (internals === null || a.rank !== 3 || b.rank !== 3 || a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const [batch, rows, inner] = a.shape as number[];
  const [batchB, innerB, cols] = b.shape as number[];
  if (batch !== batchB || inner !== innerB) throw new Error(`batch matmul: [${a.shape}] @ [${b.shape}] do not multiply`);
  const { backend, batchMatMul } = internals;
  if (!(backend.dataIdNextNumber < VIEW_IDS.a)) return null;
  const aOffset = backend.dataIdMap.get(a.dataId)?.memoryOffset;
  const bOffset = backend.dataIdMap.get(b.dataId)?.memoryOffset;
  if (aOffset === undefined || bOffset === undefined) return null;
  const out = backend.makeOutput([batch, rows, cols], 'float32'); // offsets stay valid if the heap grows
  const outOffset = (backend.dataIdMap.get(out.dataId) as { memoryOffset: number }).memoryOffset;
  const aShape = shapeBytes([1, rows, inner]);
  const bShape = shapeBytes([1, inner, cols]);
  const { wasm } = backend;
  const bytesPerFloat = 4;
  for (let item = 0; item < batch; item++) {
    wasm._register_tensor(VIEW_IDS.a, rows * inner, aOffset + bytesPerFloat * item * rows * inner);
    wasm._register_tensor(VIEW_IDS.b, inner * cols, bOffset + bytesPerFloat * item * inner * cols);
    wasm._register_tensor(VIEW_IDS.out, rows * cols, outOffset + bytesPerFloat * item * rows * cols);
    batchMatMul(VIEW_IDS.a, aShape, 3, VIEW_IDS.b, bShape, 3, false, false, VIEW_IDS.out);
    wasm._dispose_data(VIEW_IDS.a);
    wasm._dispose_data(VIEW_IDS.b);
    wasm._dispose_data(VIEW_IDS.out);
  }
  return tf.engine().makeTensorFromTensorInfo(out);
}

/** a [N, M, K] @ b [N, K, L] -> [N, M, L] without a gradient (callers wrap it in a customGrad):
 *  per item through XNNPACK on wasm, tf.matMul elsewhere. */
export function batchMatMulNoGrad(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  return (wasmBatchMatMul(a, b) ?? tf.matMul(a, b)) as tf.Tensor3D;
}
