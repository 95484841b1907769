// .mts: vitest loads its config as ESM (a .ts file in this CommonJS package draws a Vite warning).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Separate processes: TensorFlow.js backends, the wasm module and the figure browser are process-global.
    pool: 'forks',
    // Generous for a loaded 2-core CI machine; slow cases (notebooks, training) set their own.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The JSON report lets .ci/run print one plain "N passed, N failed" line at the end.
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-report.json' },
  },
});
