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

/**
 * Times several cases in interleaved rounds and keeps each case's best round: on a shared machine a
 * load spike hits every case alike, and the best round is the closest to the code's own cost.
 * `cases` maps names to functions; returns a Map of name -> stats (of the best round).
 */
export async function timeInterleaved(cases, rounds = quick ? 1 : 5) {
  const best = new Map();
  for (let round = 0; round < rounds; round++) {
    for (const [name, fn] of Object.entries(cases)) {
      const stats = await measure(fn, { min_cpu_time: quick ? 20e6 : 150e6, max_samples: quick ? 100 : 1e9 });
      const row = { median: stats.p50, min: stats.min, max: stats.max, p99: stats.p99, avg: stats.avg };
      const previous = best.get(name);
      if (previous === undefined || row.median < previous.median) best.set(name, row);
    }
  }
  return best;
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

/** The median of a list of numbers (the upper middle one for an even count; a sorted copy). */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
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
