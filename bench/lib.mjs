// Shared helpers for benchmark figures. Figures are plain ESM run by `node` against the built
// package (dist/), so that no transpiler helper (e.g. tsx's __name) distorts per-call costs.
import { measure } from 'mitata';

/** `--quick`: a short smoke run (CI keeps the scripts working; it asserts nothing about speed). */
export const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';

/** Times `fn` (sync or async) with mitata; returns nanoseconds per call. */
export async function time(fn) {
  const stats = await measure(fn, {
    min_cpu_time: quick ? 30e6 : 400e6,
    max_samples: quick ? 200 : 1e9,
  });
  return { median: stats.p50, min: stats.min, max: stats.max, p99: stats.p99, avg: stats.avg };
}

/** Forces full garbage collection (figures run with --expose-gc). */
export async function gc() {
  if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Heap in use after a full GC, in bytes. */
export async function heapAfterGC() {
  await gc();
  return process.memoryUsage().heapUsed;
}

/** Percentile of a list of numbers (sorted copy). */
export function percentile(values, p) {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

/** Nanoseconds since an arbitrary origin, as a number. */
export const now = () => Number(process.hrtime.bigint());

/**
 * Emits one figure for the runner: `rows` are measurements ({ name, unit, median, min?, max?, note? }),
 * `targets` are SPEC §9 checks ({ target, value, unit, limit, ok, note? }).
 */
export function report(figure) {
  process.stdout.write(`@@BENCH ${JSON.stringify(figure)}\n`);
}
