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
import { assemble, F32, I32, op, V128, type WasmFunction } from './wasm-simd';

const LAYER_NORM_KERNEL = 'SrumLayerNorm';
const GELU_KERNEL = 'SrumGelu';

/** 2^f = e^(f ln 2) on f in [-0.5, 0.5]: Taylor coefficients (ln 2)^k / k!, relative error < 1.2e-7. */
const EXP2_COEFFICIENTS = [1, 0.6931472, 0.2402265, 0.05550411, 0.009618129, 0.001333356, 0.0001540353];
const GELU_SLOPE = 1.702;

/** gelu(src, dst, end): dst[i] = x / (1 + 2^t), t = clamp(-1.702 log2(e) x, +-126), for 4 floats at a time up to src = end. */
function geluFunction(): WasmFunction {
  const [src, dst, end, x, t, n, scale, hi, lo, one] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const coefficient = (k: number): number => 10 + k;
  const splat = (value: number, local: number): number[][] => [op.f32(value), op.f32x4Splat, op.set(local)];
  const horner = EXP2_COEFFICIENTS.slice(0, -1)
    .map((_, k, all) => all.length - 1 - k) // 5, 4, ..., 0
    .flatMap((k) => [op.get(t), op.f32x4Mul, op.get(coefficient(k)), op.f32x4Add]);
  return {
    name: 'gelu',
    params: [I32, I32, I32],
    locals: [V128, V128, V128, V128, V128, V128, V128, ...EXP2_COEFFICIENTS.map(() => V128)],
    body: [
      ...splat(-GELU_SLOPE * Math.LOG2E, scale),
      ...splat(126, hi),
      ...splat(-126, lo),
      ...splat(1, one),
      ...EXP2_COEFFICIENTS.flatMap((c, k) => splat(c, coefficient(k))),
      op.block,
      op.loop,
      ...[op.get(src), op.get(end), op.i32GeU, op.brIf(1)],
      ...[op.get(src), op.v128Load, op.set(x)],
      ...[op.get(x), op.get(scale), op.f32x4Mul, op.get(hi), op.f32x4Min, op.get(lo), op.f32x4Max, op.set(t)],
      ...[op.get(t), op.f32x4Nearest, op.set(n)],
      ...[op.get(t), op.get(n), op.f32x4Sub, op.set(t)], // t: the fraction f
      op.get(coefficient(EXP2_COEFFICIENTS.length - 1)),
      ...horner, // 2^f
      ...[op.get(n), op.i32x4FromF32x4, op.i32(23), op.i32x4Shl, op.i32x4Add, op.set(t)], // 2^n 2^f: n added to the exponent bits
      ...[op.get(dst), op.get(x), op.get(one), op.get(t), op.f32x4Add, op.f32x4Div, op.v128Store],
      ...[op.get(src), op.i32(16), op.i32Add, op.set(src)],
      ...[op.get(dst), op.i32(16), op.i32Add, op.set(dst)],
      op.br(0),
      op.end,
      op.end,
    ],
  };
}

/** layerNorm(src, dst, gain, bias, rows, width, eps): rows of `width` floats (a multiple of 4), three passes over each row. */
function layerNormFunction(): WasmFunction {
  const [src, dst, gain, bias, rows, width, eps] = [0, 1, 2, 3, 4, 5, 6];
  const [end, rowEnd, p, g, b, acc, meanV, d, rstdV, invWidth] = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
  const laneSum = (local: number): number[][] => [
    ...[op.get(local), op.f32x4Lane(0), op.get(local), op.f32x4Lane(1), op.f32Add],
    ...[op.get(local), op.f32x4Lane(2), op.f32Add, op.get(local), op.f32x4Lane(3), op.f32Add],
  ];
  /** A loop over the row 4 floats at a time (p from src to rowEnd) running `step`, which advances what it reads. */
  const rowLoop = (step: number[][]): number[][] => [
    ...[op.get(src), op.set(p)],
    op.block,
    op.loop,
    ...[op.get(p), op.get(rowEnd), op.i32GeU, op.brIf(1)],
    ...step,
    ...[op.get(p), op.i32(16), op.i32Add, op.set(p)],
    op.br(0),
    op.end,
    op.end,
  ];
  const zero = [op.f32(0), op.f32x4Splat, op.set(acc)];
  return {
    name: 'layerNorm',
    params: [I32, I32, I32, I32, I32, I32, F32],
    locals: [I32, I32, I32, I32, I32, V128, V128, V128, V128, F32],
    body: [
      ...[op.get(rows), op.get(width), op.i32Mul, op.i32(4), op.i32Mul, op.get(src), op.i32Add, op.set(end)],
      ...[op.f32(1), op.get(width), op.f32FromI32, op.f32Div, op.set(invWidth)],
      op.block,
      op.loop,
      ...[op.get(src), op.get(end), op.i32GeU, op.brIf(1)],
      ...[op.get(width), op.i32(4), op.i32Mul, op.get(src), op.i32Add, op.set(rowEnd)],
      ...zero,
      ...rowLoop([op.get(acc), op.get(p), op.v128Load, op.f32x4Add, op.set(acc)]),
      ...laneSum(acc),
      ...[op.get(invWidth), op.f32Mul, op.f32x4Splat, op.set(meanV)],
      ...zero,
      ...rowLoop([
        op.get(p),
        op.v128Load,
        op.get(meanV),
        op.f32x4Sub,
        op.set(d),
        op.get(acc),
        op.get(d),
        op.get(d),
        op.f32x4Mul,
        op.f32x4Add,
        op.set(acc),
      ]),
      op.f32(1),
      ...laneSum(acc),
      ...[op.get(invWidth), op.f32Mul, op.get(eps), op.f32Add, op.f32Sqrt, op.f32Div, op.f32x4Splat, op.set(rstdV)],
      ...[op.get(gain), op.set(g), op.get(bias), op.set(b)],
      ...rowLoop([
        ...[op.get(dst), op.get(p), op.v128Load, op.get(meanV), op.f32x4Sub, op.get(rstdV), op.f32x4Mul],
        ...[op.get(g), op.v128Load, op.f32x4Mul, op.get(b), op.v128Load, op.f32x4Add, op.v128Store],
        ...[op.get(dst), op.i32(16), op.i32Add, op.set(dst)],
        ...[op.get(g), op.i32(16), op.i32Add, op.set(g)],
        ...[op.get(b), op.i32(16), op.i32Add, op.set(b)],
      ]),
      ...[op.get(rowEnd), op.set(src)],
      op.br(0),
      op.end,
      op.end,
    ],
  };
}

interface SimdExports {
  gelu(src: number, dst: number, end: number): void;
  layerNorm(src: number, dst: number, gain: number, bias: number, rows: number, width: number, eps: number): void;
}

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
    compiled ??= new WebAssembly.Module(assemble([geluFunction(), layerNormFunction()]));
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
