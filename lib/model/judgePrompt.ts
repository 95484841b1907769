// Moved to lib/judge/verdict.ts: the whole-prompt verdict reads the region proposer (lib/regions), so it belongs
// in the judge layer. This re-export keeps the old path working for lib/eval/benchmarks.ts, lib/index.ts, scripts
// and tests until they import lib/judge/verdict; then delete this file (test/imports.test.ts allows its one upward
// arrow until then).
export * from '../judge/verdict';
