// Fair same-process comparisons (SPEC §9): the anchor and the library call the same body, neither
// through an extra wrapper; each variant runs in a loop compiled for it alone (its call site stays
// monomorphic); variants are interleaved, GC runs before each batch, and every ratio is taken within
// one repetition (the median of those ratios is the figure).
import { median, quick } from './lib.mjs';

/**
 * A loop of its own for one variant: `await fn()` `n` times; resolves with the elapsed nanoseconds.
 * The name goes into the source, so V8 compiles (and collects feedback for) each loop separately.
 */
export function compileLoop(name) {
  const tag = String(name).replace(/[^\w ]/g, '_');
   
  return new Function(
    'fn',
    'n',
    'now',
    `// loop for: ${tag}
    return (async () => {
      const start = now();
      for (let i = 0; i < n; i++) await fn();
      return now() - start;
    })();`,
  );
}

/** A loop for synchronous variants (a sync body called `n` times). */
export function compileSyncLoop(name) {
  const tag = String(name).replace(/[^\w ]/g, '_');
   
  return new Function(
    'fn',
    'n',
    'now',
    `// sync loop for: ${tag}
    const start = now();
    for (let i = 0; i < n; i++) fn();
    return now() - start;`,
  );
}

const hrnow = () => Number(process.hrtime.bigint());

function forceGC() {
  if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
  globalThis.gc();
  globalThis.gc();
}

/**
 * Runs every variant `reps` times, interleaved, `n` calls per batch, GC before each batch. Returns, per
 * variant, the median ns/op, and per (variant, anchor) pair the median of the per-repetition ratios.
 * `variants` maps names to `{ fn, before?, after? }` (hooks run around each batch, outside the timing:
 * e.g. keeping another timer pending).
 */
export async function pairedRun(variants, { n = quick ? 2_000 : 50_000, reps = quick ? 3 : 15, warmup = quick ? 1 : 3 } = {}) {
  const names = Object.keys(variants);
  const loops = new Map(names.map((name) => [name, compileLoop(name)]));
  const perRep = new Map(names.map((name) => [name, []]));
  for (let rep = 0; rep < warmup + reps; rep++) {
    for (const name of names) {
      const variant = variants[name];
      forceGC();
      await new Promise((resolve) => setImmediate(resolve));
      variant.before?.();
      const ns = await loops.get(name)(variant.fn, n, hrnow);
      variant.after?.();
      if (rep >= warmup) perRep.get(name).push(ns / n);
    }
  }
  return {
    nsPerOp: (name) => median(perRep.get(name)),
    min: (name) => Math.min(...perRep.get(name)),
    max: (name) => Math.max(...perRep.get(name)),
    /** The median over repetitions of `variant / anchor`, each ratio taken within one repetition. */
    ratio: (variant, anchor) => median(perRep.get(variant).map((value, i) => value / perRep.get(anchor)[i])),
  };
}
