// Fused elementwise kernels for the wasm backend: one SIMD pass over the data (wasm-simd.ts) where the composite runs
// several backend kernels, each a full read and write of its tensor (a sampling step of the base: the layer norm is 9
// kernels, the GELU 3).
//   SrumLayerNorm  x [..., D], gain [D], bias [D] -> (x - mean) / sqrt(var + eps) * gain + bias over each row of D;
//   SrumGelu       x -> x * sigmoid(1.702 x) (model/layers.ts gelu), exp from 2^n * a degree-6 polynomial of 2^f.
// They have no gradient: model/layers.ts calls them (fusedLayerNorm, fusedGelu) only while no gradient is being
// recorded, i.e. in inference, and keeps its differentiable composite forms for training and for other backends.
// Imports come from the packages directly (not ./tf) because ./tf imports this file (through ./kernels).
import {
  engine,
  getKernel,
  registerKernel,
  type KernelFunc,
  type NamedTensorInfoMap,
  type Tensor,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { assemble } from './wasm-simd';
import { SIMD_FUNCTIONS, type SimdExports } from './simd-functions';

const LAYER_NORM_KERNEL = 'SrumLayerNorm';
const GELU_KERNEL = 'SrumGelu';

/** The parts of tfjs-backend-wasm 4.22 the kernels reach (as lib/backend/batch-matmul.ts does). */
interface WasmInternals {
  wasm?: { asm?: { memory?: unknown } };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
}

let compiled: WebAssembly.Module | undefined;
const instances = new WeakMap<object, SimdExports | null>();

/** The SIMD functions bound to this backend's memory, or null where its memory cannot be imported (a shared, threaded build). */
function simdExports(backend: BackendWasm): SimdExports | null {
  const known = instances.get(backend);
  if (known !== undefined) return known;
  const memory = (backend as unknown as WasmInternals).wasm?.asm?.memory;
  let bound: SimdExports | null = null;
  if (memory instanceof WebAssembly.Memory && !(memory.buffer instanceof SharedArrayBuffer)) {
    compiled ??= new WebAssembly.Module(assemble(SIMD_FUNCTIONS()));
    bound = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as SimdExports;
  }
  instances.set(backend, bound);
  return bound;
}

function offsetOf(backend: BackendWasm, tensor: TensorInfo): number {
  const entry = (backend as unknown as WasmInternals).dataIdMap.get(tensor.dataId);
  if (entry === undefined) throw new Error('fused kernel: tensor not on the wasm backend');
  return entry.memoryOffset;
}

type KernelArgs = { inputs: NamedTensorInfoMap; backend: unknown; attrs?: Record<string, unknown> };

function geluKernel({ inputs, backend }: KernelArgs): TensorInfo {
  const wasm = backend as BackendWasm;
  const x = inputs.x as TensorInfo;
  const out = wasm.makeOutput(x.shape, 'float32'); // may grow the heap: offsets are read after it
  const size = x.shape.reduce((a, b) => a * b, 1);
  const src = offsetOf(wasm, x);
  (simdExports(wasm) as SimdExports).gelu(src, offsetOf(wasm, out), src + 4 * size);
  return out;
}

function layerNormKernel({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const wasm = backend as BackendWasm;
  const x = inputs.x as TensorInfo;
  const out = wasm.makeOutput(x.shape, 'float32');
  const width = x.shape[x.shape.length - 1];
  const rows = x.shape.reduce((a, b) => a * b, 1) / width;
  const [gain, bias] = [inputs.gain as TensorInfo, inputs.bias as TensorInfo].map((t) => offsetOf(wasm, t));
  (simdExports(wasm) as SimdExports).layerNorm(offsetOf(wasm, x), offsetOf(wasm, out), gain, bias, rows, width, attrs?.eps as number);
  return out;
}

/** The fused kernels run here: a wasm backend whose memory they can use, float32 data, and no gradient being recorded. */
function fusedApplies(tensors: readonly Tensor[]): boolean {
  const active = engine();
  if (active.backendName !== 'wasm' || active.state.gradientDepth > 0) return false;
  if (tensors.some((t) => t.dtype !== 'float32')) return false;
  return simdExports(active.backend as BackendWasm) !== null;
}

/** x * sigmoid(1.702 x) in one pass, or null where the fused kernel does not apply (the caller runs the composite). */
export function fusedGelu(x: Tensor): Tensor | null {
  if (x.size % 4 !== 0 || !fusedApplies([x])) return null;
  return engine().runKernel(GELU_KERNEL, { x }) as Tensor;
}

/** Layer norm over the last axis in one kernel, or null where the fused kernel does not apply (the caller runs the composite). */
export function fusedLayerNorm(x: Tensor, gain: Tensor, bias: Tensor, eps: number): Tensor | null {
  const width = x.shape[x.rank - 1];
  if (width % 4 !== 0 || gain.size !== width || bias.size !== width || !fusedApplies([x, gain, bias])) return null;
  return engine().runKernel(LAYER_NORM_KERNEL, { x, gain, bias }, { eps }) as Tensor;
}

/** Registers the fused kernels for the 'wasm' backend name (lib/backend/kernels.ts calls it once). */
export function registerFusedWasmKernels(): void {
  const kernels: [string, KernelFunc][] = [
    [LAYER_NORM_KERNEL, layerNormKernel as unknown as KernelFunc],
    [GELU_KERNEL, geluKernel as unknown as KernelFunc],
  ];
  for (const [kernelName, kernelFunc] of kernels)
    if (getKernel(kernelName, 'wasm') == null) registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
}
