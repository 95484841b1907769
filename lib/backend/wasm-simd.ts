// A minimal WebAssembly assembler: enough to write a few SIMD loops that run on the wasm backend's own memory
// (fused-kernels.ts). JS typed-array loops are ~3x slower than the backend's wasm kernels on this kind of data
// (measured: a JS GELU 91 ms against 31 ms for the three-kernel composite on [32, 84, 512]), so a fused kernel has to
// be wasm too; there is no compiler in the toolchain, so the few instructions needed are encoded here by hand
// (binary format of the WebAssembly 2.0 core spec, which includes 128-bit SIMD).

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

function unsignedLeb(value: number): number[] {
  const out: number[] = [];
  let rest = value >>> 0;
  do {
    const byte = rest & 0x7f;
    rest >>>= 7;
    out.push(rest === 0 ? byte : byte | 0x80);
  } while (rest !== 0);
  return out;
}

function signedLeb(value: number): number[] {
  const out: number[] = [];
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const vector = (items: number[][]): number[] => [...unsignedLeb(items.length), ...items.flat()];
const name = (text: string): number[] => vector([...Buffer.from(text, 'utf8')].map((b) => [b]));
const section = (id: number, body: number[]): number[] => [id, ...unsignedLeb(body.length), ...body];

/** Instructions, each a list of bytes; SIMD ones carry the 0xfd prefix and their LEB128 opcode. */
const simd = (opcode: number, ...immediates: number[]): number[] => [0xfd, ...unsignedLeb(opcode), ...immediates];
const MEMARG_ALIGN4 = [2, 0]; // alignment hint 2^2 bytes (float32 data), offset 0

export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...unsignedLeb(depth)],
  brIf: (depth: number) => [0x0d, ...unsignedLeb(depth)],
  get: (local: number) => [0x20, ...unsignedLeb(local)],
  set: (local: number) => [0x21, ...unsignedLeb(local)],
  i32: (value: number) => [0x41, ...signedLeb(value)],
  f32: (value: number) => [0x43, ...new Uint8Array(new Float32Array([value]).buffer)],
  i32Add: [0x6a],
  i32Mul: [0x6c],
  i32GeU: [0x4f],
  f32Add: [0x92],
  f32Mul: [0x94],
  f32Div: [0x95],
  f32Sqrt: [0x91],
  f32FromI32: [0xb3], // f32.convert_i32_u
  v128Load: simd(0x00, ...MEMARG_ALIGN4),
  v128Store: simd(0x0b, ...MEMARG_ALIGN4),
  f32x4Splat: simd(0x13),
  f32x4Lane: (lane: number) => simd(0x1f, lane),
  f32x4Nearest: simd(0x6a),
  f32x4Add: simd(0xe4),
  f32x4Sub: simd(0xe5),
  f32x4Mul: simd(0xe6),
  f32x4Div: simd(0xe7),
  f32x4Min: simd(0xe8),
  f32x4Max: simd(0xe9),
  i32x4Shl: simd(0xab),
  i32x4Add: simd(0xae),
  i32x4FromF32x4: simd(0xf8), // i32x4.trunc_sat_f32x4_s
};

export interface WasmFunction {
  name: string;
  params: number[];
  /** Extra locals after the parameters, by type. */
  locals: number[];
  body: number[][];
}

/** A module of `functions` (no results) that imports its memory as env.memory and exports every function by name. */
export function assemble(functions: readonly WasmFunction[]): Uint8Array {
  const types = section(1, vector(functions.map((f) => [0x60, ...vector(f.params.map((t) => [t])), ...vector([])])));
  const imports = section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, ...unsignedLeb(0)]]));
  const declarations = section(3, vector(functions.map((_, i) => unsignedLeb(i))));
  const exported = section(7, vector(functions.map((f, i) => [...name(f.name), 0x00, ...unsignedLeb(i)])));
  const bodies = functions.map((f) => {
    const code = [...vector(f.locals.map((t) => [1, t])), ...f.body.flat(), ...op.end];
    return [...unsignedLeb(code.length), ...code];
  });
  const code = section(10, vector(bodies));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...declarations, ...exported, ...code]);
}
