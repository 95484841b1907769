// Picks the fastest TensorFlow.js backend present and says which one it uses.
// Order: tfjs-node-gpu (libtensorflow + CUDA), tfjs-node (libtensorflow CPU), wasm (SIMD,
// one thread in Node), cpu (pure JS, reference only). The environment variable SRUM_BACKEND
// forces one of these names; a forced backend that cannot start is an error, never a fallback.
import * as fs from 'fs';
import * as path from 'path';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from './tf';
import { registerWasmKernels } from './kernels';

export const BACKEND_NAMES = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendInfo {
  /** The toolkit's name for the backend (the value SRUM_BACKEND takes). */
  name: BackendName;
  /** The name TensorFlow.js registered it under (tf.getBackend()). */
  tfName: string;
  /** Human-readable summary, e.g. 'wasm (SIMD, 1 thread)'. */
  description: string;
  /** How it was chosen: the environment variable, options.prefer, or the automatic order. */
  chosenBy: 'SRUM_BACKEND' | 'prefer' | 'auto';
}

export interface InitBackendOptions {
  /** Try this backend first; if it is unavailable, fall back to the automatic order. */
  prefer?: string;
  /** Do not print the one-line backend report to stderr. */
  quiet?: boolean;
}

const NODE_PACKAGES: Partial<Record<BackendName, string>> = {
  'tfjs-node-gpu': '@tensorflow/tfjs-node-gpu',
  'tfjs-node': '@tensorflow/tfjs-node',
};

/** Throws a clear error unless `value` is one of BACKEND_NAMES. */
export function parseBackendName(value: string, source: string): BackendName {
  const name = BACKEND_NAMES.find((candidate) => candidate === value);
  if (name == null) {
    throw new Error(`${source}=${JSON.stringify(value)} is not a backend; use one of: ${BACKEND_NAMES.join(', ')}`);
  }
  return name;
}

/**
 * Loads the optional native package; a dynamic require so TypeScript compiles without it.
 * Returns null on success, else why it failed. npm may leave the package installed without
 * its native addon (the libtensorflow download failed); requiring it then registers ~170
 * kernels before throwing, so that case is detected from the files first.
 */
function requireNodePackage(packageName: string): string | null {
  let packageFolder: string;
  try {
    packageFolder = path.dirname(require.resolve(`${packageName}/package.json`));
  } catch {
    return 'not installed';
  }
  const addonFolder = path.join(packageFolder, 'lib');
  const hasAddon =
    fs.existsSync(addonFolder) &&
    fs.readdirSync(addonFolder).some((entry) => fs.existsSync(path.join(addonFolder, entry, 'tfjs_binding.node')));
  if (!hasAddon) return `installed without its native addon (no ${addonFolder}/napi-v*/tfjs_binding.node)`;
  try {
    const load = require as (id: string) => unknown;
    load(packageName);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message.split('\n')[0] : String(error);
  }
}

/** Makes the wasm binary load from node_modules (no network), once, before wasm initializes. */
let wasmPathsSet = false;
function pointWasmAtNodeModules(): void {
  if (wasmPathsSet || typeof process === 'undefined' || process.versions?.node == null) return;
  wasmPathsSet = true;
  const distFolder = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  setWasmPaths(distFolder + path.sep);
}

/** Activates one backend, or says why it cannot run here. */
async function tryActivate(name: BackendName): Promise<{ info: Omit<BackendInfo, 'chosenBy'> } | { failure: string }> {
  const packageName = NODE_PACKAGES[name];
  if (packageName != null) {
    const loadError = requireNodePackage(packageName);
    if (loadError != null) return { failure: `${packageName} not loadable (${loadError})` };
    if (!(await setBackendQuietly('tensorflow'))) return { failure: `${packageName} loaded but did not start` };
    const device = name === 'tfjs-node-gpu' ? 'libtensorflow, CUDA' : 'libtensorflow, CPU';
    return { info: { name, tfName: 'tensorflow', description: `${name} (${device})` } };
  }
  if (name === 'wasm') {
    pointWasmAtNodeModules();
    registerWasmKernels();
    if (!(await setBackendQuietly('wasm'))) return { failure: 'the wasm backend did not start' };
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = getThreadsCount();
    const description = `wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})`;
    return { info: { name, tfName: 'wasm', description } };
  }
  // The cpu backend's first write prints a long "install tfjs-node" banner; we chose cpu on purpose.
  tf.enableProdMode();
  if (!(await setBackendQuietly('cpu'))) return { failure: 'the cpu backend did not start' };
  return { info: { name, tfName: 'cpu', description: 'cpu (pure JS, slow: reference only)' } };
}

/** tf.setBackend logs its own failures; we report ours in one line instead. */
async function setBackendQuietly(tfName: string): Promise<boolean> {
  if (tf.findBackendFactory(tfName) == null) return false;
  try {
    return await tf.setBackend(tfName);
  } catch {
    return false;
  }
}

/**
 * Chooses and activates a backend without caching or printing (initBackend is the usual entry).
 * `environment` defaults to process.env; only its SRUM_BACKEND entry is read.
 */
export async function selectBackend(
  options: { prefer?: string; environment?: Record<string, string | undefined> } = {},
): Promise<BackendInfo> {
  const forced = (options.environment ?? process.env).SRUM_BACKEND;
  if (forced != null && forced !== '') {
    const name = parseBackendName(forced, 'SRUM_BACKEND');
    const result = await tryActivate(name);
    if ('failure' in result) throw new Error(`SRUM_BACKEND=${name} cannot be used: ${result.failure}`);
    return { ...result.info, chosenBy: 'SRUM_BACKEND' };
  }
  const failures: string[] = [];
  let order: BackendName[] = [...BACKEND_NAMES];
  if (options.prefer != null) {
    const preferred = parseBackendName(options.prefer, 'prefer');
    const result = await tryActivate(preferred);
    if ('info' in result) return { ...result.info, chosenBy: 'prefer' };
    failures.push(result.failure);
    order = order.filter((name) => name !== preferred);
  }
  for (const name of order) {
    const result = await tryActivate(name);
    if ('info' in result) return { ...result.info, chosenBy: 'auto' };
    failures.push(result.failure);
  }
  throw new Error(`no TensorFlow.js backend could start:\n  ${failures.join('\n  ')}`);
}

let chosen: Promise<BackendInfo> | null = null;

/**
 * Picks the backend once per process and prints `[srum] backend: ...` to stderr (unless quiet).
 * Later calls return the same info and re-activate that backend if something switched away.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const first = chosen == null;
  if (chosen == null) chosen = selectBackend({ prefer: options.prefer });
  const pending = chosen;
  try {
    const info = await pending;
    if (first && !options.quiet) {
      const how = info.chosenBy === 'auto' ? '' : ` [set by ${info.chosenBy}]`;
      process.stderr.write(`[srum] backend: ${info.description}${how}\n`);
    }
    if (!first && tf.getBackend() !== info.tfName) await tf.setBackend(info.tfName);
    return info;
  } catch (error) {
    if (chosen === pending) chosen = null; // a failed choice (e.g. a bad SRUM_BACKEND) may be retried
    throw error;
  }
}
