// The SIMD functions of the fused kernels (fused-kernels.ts), written with the assembler of wasm-simd.ts. Pointers
// are byte offsets into the wasm backend's memory; every function writes its outputs and returns nothing.
import { F32, I32, op, V128, type WasmFunction } from './wasm-simd';

export interface SimdExports {
  gelu(src: number, dst: number, end: number): void;
  layerNorm(src: number, dst: number, gain: number, bias: number, rows: number, width: number, eps: number): void;
}

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

/** The module's functions, in export order. */
export const SIMD_FUNCTIONS = (): WasmFunction[] => [geluFunction(), layerNormFunction()];
