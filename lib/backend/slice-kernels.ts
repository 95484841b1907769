// Replacements for the wasm Slice, Unpack and SplitV kernels.
// tfjs-backend-wasm 4.22 slices with backend.readSync(x), which copies the WHOLE input out of
// the wasm heap for every slice: tf.unstack / tf.split into n parts cost n full copies
// (measured: unstack of [32, 256, 256] took ~130 ms). These versions read through a heap view
// (typedArrayFromHeap) and copy only the sliced rows. String tensors keep the original kernels.
import {
  backend_util,
  getKernel,
  registerKernel,
  slice_util,
  unregisterKernel,
  util,
  type KernelFunc,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type KernelArgs = { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap };

/** Copies x[begin : begin + size] into a new wasm tensor, one contiguous innermost row at a time. */
function sliceOnHeap(wasm: BackendWasm, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const out = wasm.makeOutput(size, x.dtype);
  const count = util.sizeFromShape(size);
  if (count === 0) return out;
  // Views are taken after makeOutput, which may grow (and so detach) the wasm heap.
  const source = wasm.typedArrayFromHeap(x);
  const target = wasm.typedArrayFromHeap(out);
  const strides = util.computeStrides(x.shape); // strides[axis] for every axis but the last
  if (slice_util.isSliceContinous(x.shape, begin, size)) {
    const offset = slice_util.computeFlatOffset(begin, strides);
    target.set(source.subarray(offset, offset + count));
    return out;
  }
  const rank = size.length;
  const rowLength = size[rank - 1];
  const rowCount = count / rowLength;
  const index = new Array<number>(rank - 1).fill(0); // odometer over the outer axes
  for (let row = 0; row < rowCount; row++) {
    let offset = begin[rank - 1];
    for (let axis = 0; axis < rank - 1; axis++) offset += (begin[axis] + index[axis]) * strides[axis];
    target.set(source.subarray(offset, offset + rowLength), row * rowLength);
    for (let axis = rank - 2; axis >= 0; axis--) {
      if (++index[axis] < size[axis]) break;
      index[axis] = 0;
    }
  }
  return out;
}

function makeSlice(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as KernelArgs;
    const x = inputs.x as TensorInfo;
    if (x.dtype === 'string') return original(args);
    const { begin, size } = attrs as unknown as { begin: number | number[]; size: number | number[] };
    const [begin_, size_] = slice_util.parseSliceParams(x, begin, size);
    return sliceOnHeap(backend as BackendWasm, x, begin_, size_);
  };
}

function makeUnpack(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as KernelArgs;
    const value = inputs.value as TensorInfo;
    if (value.dtype === 'string') return original(args);
    const rank = value.shape.length;
    let axis = (attrs as { axis: number }).axis;
    if (axis < 0) axis += rank;
    const outShape = value.shape.filter((_, i) => i !== axis);
    const begin = new Array<number>(rank).fill(0);
    const size = value.shape.slice();
    size[axis] = 1;
    const outputs: TensorInfo[] = [];
    for (let i = 0; i < value.shape[axis]; i++) {
      begin[axis] = i;
      const part = sliceOnHeap(backend as BackendWasm, value, begin, size);
      outputs.push({ dataId: part.dataId, dtype: part.dtype, shape: outShape });
    }
    return outputs;
  };
}

function makeSplitV(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as KernelArgs;
    const x = inputs.x as TensorInfo;
    if (x.dtype === 'string') return original(args);
    const { numOrSizeSplits, axis } = attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const splitAxis = util.parseAxisParam(axis, x.shape)[0];
    const splitSizes = backend_util.prepareSplitSize(x, numOrSizeSplits, splitAxis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return splitSizes.map((splitSize) => {
      const size = x.shape.slice();
      size[splitAxis] = splitSize;
      const part = sliceOnHeap(backend as BackendWasm, x, begin, size);
      begin[splitAxis] += splitSize;
      return part;
    });
  };
}

const REPLACEMENTS: Array<[string, (original: KernelFunc) => KernelFunc]> = [
  ['Slice', makeSlice],
  ['Unpack', makeUnpack],
  ['SplitV', makeSplitV],
];

/** Names of the wasm kernels replaced here. */
export const REPLACED_WASM_KERNELS = REPLACEMENTS.map(([name]) => name);

/** Swaps in the heap-view slicing kernels (call once; the wasm package must be imported first). */
export function replaceWasmSliceKernels(): void {
  for (const [kernelName, make] of REPLACEMENTS) {
    const original = getKernel(kernelName, 'wasm');
    if (original == null) throw new Error(`wasm kernel ${kernelName} is not registered; import the wasm backend first`);
    unregisterKernel(kernelName, 'wasm');
    registerKernel({ ...original, kernelFunc: make(original.kernelFunc) });
  }
}
