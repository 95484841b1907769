// Kernels that tfjs-backend-wasm 4.22 lacks, filled so training runs on wasm.
// Found by diffing the cpu and wasm kernel registries and by running every op a small
// transformer + conv patch embedding needs forward and backward on wasm:
//   UnsortedSegmentSum    - gradient of gather (embedding lookup); JS loop, O(ids x row).
//   Conv2DBackpropFilter  - gradient of conv2d w.r.t. the filter; JS im2col + wasm matmul.
//   Einsum, DepthwiseConv2dNativeBackpropFilter/Input - rare; run the cpu kernel on a copy.
// LogSoftmax needs no kernel: tf.logSoftmax is composed of max/sub/exp/sum/log in tfjs-core.
// Also replaced (./slice-kernels): Slice, Unpack, SplitV, which copied the whole input per slice.
// And added (./fused-kernels): a fused layer norm and GELU for inference.
// Imports come from the packages directly (not ./tf) because ./tf imports this file.
import '@tensorflow/tfjs-backend-wasm';
import {
  backend_util,
  engine,
  getKernel,
  registerKernel,
  util,
  type DataType,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { replaceWasmSliceKernels } from './slice-kernels';
import { registerFusedWasmKernels } from './fused-kernels';

/** Kernels registered here for the wasm backend, in registration order. */
export const FILLED_WASM_KERNELS = [
  'UnsortedSegmentSum',
  'Conv2DBackpropFilter',
  'Einsum',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
] as const;

type KernelArgs = { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap };

function input(inputs: NamedTensorInfoMap, name: string): TensorInfo {
  const tensor = inputs[name];
  if (tensor == null) throw new Error(`kernel input '${name}' missing`);
  return tensor;
}

function floatOrIntArray(dtype: DataType, size: number): Float32Array | Int32Array {
  return dtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
}

/** out[segmentIds[i], ...] += x[i, ...]; ids outside [0, numSegments) are dropped (as in TF). */
function unsortedSegmentSum({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const wasm = backend as BackendWasm;
  const x = input(inputs, 'x');
  const segmentIds = input(inputs, 'segmentIds');
  const numSegments = (attrs as { numSegments: number }).numSegments;
  const idsRank = segmentIds.shape.length;
  util.assert(
    segmentIds.shape.every((size, axis) => size === x.shape[axis]),
    () => `UnsortedSegmentSum: segmentIds shape ${segmentIds.shape} must prefix x shape ${x.shape}`,
  );
  const values = wasm.readSync(x.dataId) as Float32Array | Int32Array;
  const ids = wasm.readSync(segmentIds.dataId) as Int32Array;
  const rowSize = util.sizeFromShape(x.shape.slice(idsRank));
  const out = floatOrIntArray(x.dtype, numSegments * rowSize);
  for (let i = 0; i < ids.length; i++) {
    const segment = ids[i];
    if (segment < 0 || segment >= numSegments) continue;
    const from = i * rowSize;
    const to = segment * rowSize;
    for (let j = 0; j < rowSize; j++) out[to + j] += values[from + j];
  }
  return wasm.makeOutput([numSegments, ...x.shape.slice(idsRank)], x.dtype, undefined, out);
}

/**
 * dFilter[r, c, d, o] = sum over (b, y, x) of xPatch[b, y, x][r, c, d] * dy[b, y, x, o].
 * Written as one matmul: patchesT [K, M] @ dy [M, Cout] with K = fh*fw*Cin, M = B*outH*outW,
 * so the heavy part runs in the wasm (XNNPACK) matmul and only the im2col copy is JS.
 */
function conv2DBackpropFilter({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const wasm = backend as BackendWasm;
  const x = input(inputs, 'x');
  const dy = input(inputs, 'dy');
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (wasm fill): only NHWC is supported');
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const xValues = wasm.readSync(x.dataId) as Float32Array;
  const patchSize = filterHeight * filterWidth * inChannels; // K
  const positions = batchSize * outHeight * outWidth; // M
  const patchesT = new Float32Array(patchSize * positions); // [K, M], zero = padding
  for (let b = 0, m = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++, m++) {
        for (let r = 0; r < filterHeight; r++) {
          const iy = oy * strideHeight - top + r;
          if (iy < 0 || iy >= inHeight) continue;
          for (let c = 0; c < filterWidth; c++) {
            const ix = ox * strideWidth - left + c;
            if (ix < 0 || ix >= inWidth) continue;
            const xBase = ((b * inHeight + iy) * inWidth + ix) * inChannels;
            const kBase = (r * filterWidth + c) * inChannels;
            for (let d = 0; d < inChannels; d++) patchesT[(kBase + d) * positions + m] = xValues[xBase + d];
          }
        }
      }
    }
  }
  const patchesInfo = wasm.makeOutput([patchSize, positions], 'float32', undefined, patchesT);
  // dy is NHWC, so its buffer already is the [M, Cout] matrix: view it with that shape.
  const dyMatrix: TensorInfo = { dataId: dy.dataId, shape: [positions, outChannels], dtype: dy.dtype };
  const matMulKernel = getKernel('BatchMatMul', 'wasm');
  if (matMulKernel == null) throw new Error('wasm BatchMatMul kernel not registered');
  const product = matMulKernel.kernelFunc({
    inputs: { a: patchesInfo, b: dyMatrix },
    backend: wasm,
    attrs: { transposeA: false, transposeB: false },
  }) as TensorInfo;
  wasm.disposeData(patchesInfo.dataId);
  product.shape = [...filterShape]; // [fh, fw, Cin, Cout], same buffer as [K, Cout]
  return product;
}

/**
 * Runs the cpu backend's kernel on copies of the inputs and copies the result back. Correct
 * for any single-output kernel; meant for rare ops where a copy costs less than a missing op.
 */
function viaCpuKernel(kernelName: string): KernelFunc {
  return ({ inputs, backend, attrs }: KernelArgs): TensorInfo => {
    const wasm = backend as BackendWasm;
    const cpuKernel = getKernel(kernelName, 'cpu');
    const cpu = engine().findBackend('cpu') as KernelBackend | null;
    if (cpuKernel == null || cpu == null) throw new Error(`${kernelName}: no cpu kernel to fall back on`);
    // Some kernels (Einsum, Concat, AddN) take their inputs as an array; keep that shape.
    const cpuInputs: NamedTensorInfoMap = Array.isArray(inputs) ? ([] as unknown as NamedTensorInfoMap) : {};
    for (const name of Object.keys(inputs)) {
      const tensor = input(inputs, name);
      const values = wasm.readSync(tensor.dataId);
      cpuInputs[name] = { dataId: cpu.write(values, tensor.shape, tensor.dtype), shape: tensor.shape, dtype: tensor.dtype };
    }
    try {
      const result = cpuKernel.kernelFunc({ inputs: cpuInputs, backend: cpu, attrs }) as TensorInfo;
      const values = cpu.readSync(result.dataId) as Float32Array | Int32Array;
      cpu.disposeData(result.dataId);
      return wasm.makeOutput(result.shape, result.dtype, undefined, values);
    } finally {
      for (const name of Object.keys(cpuInputs)) cpu.disposeData(input(cpuInputs, name).dataId);
    }
  };
}

let registered = false;

/**
 * Registers the filled kernels and the faster slicing kernels for the 'wasm' backend name
 * (idempotent; harmless if wasm is unused). lib/backend/tf.ts calls it on import.
 */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  const configs: KernelConfig[] = [
    { kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum as KernelFunc },
    { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter as KernelFunc },
    { kernelName: 'Einsum', backendName: 'wasm', kernelFunc: viaCpuKernel('Einsum') },
    {
      kernelName: 'DepthwiseConv2dNativeBackpropFilter',
      backendName: 'wasm',
      kernelFunc: viaCpuKernel('DepthwiseConv2dNativeBackpropFilter'),
    },
    {
      kernelName: 'DepthwiseConv2dNativeBackpropInput',
      backendName: 'wasm',
      kernelFunc: viaCpuKernel('DepthwiseConv2dNativeBackpropInput'),
    },
  ];
  for (const config of configs) {
    // Another copy of this module (or a future tfjs release) may already provide the kernel.
    if (getKernel(config.kernelName, 'wasm') == null) registerKernel(config);
  }
  replaceWasmSliceKernels();
  registerFusedWasmKernels();
}
