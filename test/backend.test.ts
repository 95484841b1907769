// Backend selection (order, SRUM_BACKEND override, errors, idempotence) and seeded tensors.
import * as fs from 'fs';
import * as path from 'path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as tf from '../lib/backend/tf';
import { randomNormal, randomUniform } from '../lib/backend/random';
import { BACKEND_NAMES, initBackend, parseBackendName, selectBackend } from '../lib/backend/select';
import { makeRng } from '../lib/rng';

/** True when npm installed the native package with its libtensorflow addon (not on the CI box). */
function nativeAddonPresent(packageName: string): boolean {
  try {
    const libFolder = path.join(path.dirname(require.resolve(`${packageName}/package.json`)), 'lib');
    return fs.readdirSync(libFolder).some((entry) => fs.existsSync(path.join(libFolder, entry, 'tfjs_binding.node')));
  } catch {
    return false;
  }
}
const noNativeBackend = !nativeAddonPresent('@tensorflow/tfjs-node-gpu') && !nativeAddonPresent('@tensorflow/tfjs-node');

afterEach(() => {
  vi.restoreAllMocks();
});

describe('selectBackend', () => {
  it('SRUM_BACKEND=cpu selects cpu and activates it', async () => {
    const info = await selectBackend({ environment: { SRUM_BACKEND: 'cpu' } });
    expect(info).toMatchObject({ name: 'cpu', tfName: 'cpu', chosenBy: 'SRUM_BACKEND' });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('SRUM_BACKEND=wasm selects wasm with SIMD on one thread (Node)', async () => {
    const info = await selectBackend({ environment: { SRUM_BACKEND: 'wasm' } });
    expect(info.name).toBe('wasm');
    expect(info.description).toBe('wasm (SIMD, 1 thread)');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('an unknown SRUM_BACKEND is a clear error listing the choices', async () => {
    await expect(selectBackend({ environment: { SRUM_BACKEND: 'gpu' } })).rejects.toThrow(
      'SRUM_BACKEND="gpu" is not a backend; use one of: tfjs-node-gpu, tfjs-node, wasm, cpu',
    );
  });

  it.runIf(noNativeBackend)('a forced backend that cannot load is an error, not a fallback', async () => {
    await expect(selectBackend({ environment: { SRUM_BACKEND: 'tfjs-node-gpu' } })).rejects.toThrow(
      /^SRUM_BACKEND=tfjs-node-gpu cannot be used: @tensorflow\/tfjs-node-gpu /,
    );
    await expect(selectBackend({ environment: { SRUM_BACKEND: 'tfjs-node' } })).rejects.toThrow(/^SRUM_BACKEND=tfjs-node cannot be used/);
  });

  it.runIf(noNativeBackend)('the automatic order falls through the native packages to wasm here', async () => {
    const info = await selectBackend({ environment: {} });
    expect(info).toMatchObject({ name: 'wasm', chosenBy: 'auto' });
  });

  it('prefer picks an available backend, and falls back to the order when it is unavailable', async () => {
    expect(await selectBackend({ prefer: 'cpu', environment: {} })).toMatchObject({ name: 'cpu', chosenBy: 'prefer' });
    if (noNativeBackend) {
      const info = await selectBackend({ prefer: 'tfjs-node-gpu', environment: {} });
      expect(info).toMatchObject({ name: 'wasm', chosenBy: 'auto' });
    }
    await expect(selectBackend({ prefer: 'webgl', environment: {} })).rejects.toThrow(/prefer="webgl" is not a backend/);
  });

  it('SRUM_BACKEND wins over prefer', async () => {
    const info = await selectBackend({ prefer: 'wasm', environment: { SRUM_BACKEND: 'cpu' } });
    expect(info.name).toBe('cpu');
  });

  it('parseBackendName accepts exactly the four names', () => {
    for (const name of BACKEND_NAMES) expect(parseBackendName(name, 'x')).toBe(name);
    expect(() => parseBackendName('WASM', 'x')).toThrow(/not a backend/);
  });
});

describe('initBackend', () => {
  it('is idempotent, prints one line once, and re-activates its backend', async () => {
    const writes: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    const first = await initBackend();
    await tf.setBackend(first.tfName === 'cpu' ? 'wasm' : 'cpu'); // something switches away
    const second = await initBackend();
    expect(second).toBe(first);
    expect(tf.getBackend()).toBe(first.tfName);
    const lines = writes.filter((line) => line.startsWith('[srum] backend: '));
    expect(lines).toEqual([`[srum] backend: ${first.description}${first.chosenBy === 'auto' ? '' : ' [set by SRUM_BACKEND]'}\n`]);
  });
});

describe('seeded random tensors', () => {
  it('give the same numbers on wasm and cpu for the same seed', async () => {
    const values: Record<string, number[]> = {};
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      const normal = randomNormal([3, 4], makeRng(7), { mean: 1, std: 2 });
      const uniform = randomUniform([5], makeRng(7), { min: -1, max: 1 });
      values[backend] = [...normal.dataSync(), ...uniform.dataSync()];
      tf.dispose([normal, uniform]);
    }
    expect(values.wasm).toEqual(values.cpu);
    const other = randomNormal([3, 4], makeRng(8));
    expect(Array.from(other.dataSync())).not.toEqual(values.wasm.slice(0, 12));
    other.dispose();
  });

  it('have the requested shape, moments and range', () => {
    const normal = randomNormal([100, 100], makeRng(1), { mean: 3, std: 0.5 });
    const { mean, variance } = tf.moments(normal);
    expect(normal.shape).toEqual([100, 100]);
    expect(mean.dataSync()[0]).toBeCloseTo(3, 1);
    expect(Math.sqrt(variance.dataSync()[0])).toBeCloseTo(0.5, 1);
    const uniform = randomUniform([1000], makeRng(2), { min: 2, max: 4 });
    expect(uniform.min().dataSync()[0]).toBeGreaterThanOrEqual(2);
    expect(uniform.max().dataSync()[0]).toBeLessThan(4);
    expect(() => randomUniform([2], makeRng(3), { min: 1, max: 1 })).toThrow(/max > min/);
    tf.dispose([normal, mean, variance, uniform]);
  });
});
