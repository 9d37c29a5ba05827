// In-process cancellation latency: from scope.cancel() to the body's rejection being observed
// (a pending scope.sleep). SPEC §9: p99 under 50 µs.
import { Cancelable } from 'cancelable-ts';
import { now, percentile, quick, report } from '../lib.mjs';

const samples = [];
const rounds = quick ? 500 : 20_000;
for (let i = 0; i < rounds + 200; i++) {
  let observed = 0;
  const scope = new Cancelable({ graceMs: Infinity });
  const running = scope.run(async (s) => {
    try {
      await s.sleep(60_000);
    } catch (error) {
      observed = now();
      throw error;
    }
  });
  await new Promise((resolve) => setImmediate(resolve));
  const start = now();
  scope.cancel('bench');
  await running.catch(() => {});
  if (i >= 200) samples.push(observed - start); // first 200: warm-up
}
const p50 = percentile(samples, 50) / 1000;
const p99 = percentile(samples, 99) / 1000;
report({
  figure: 'Cancellation latency, in-process',
  rows: [
    {
      name: 'scope.cancel() -> pending sleep() rejects in the body',
      unit: 'µs',
      median: p50,
      p99,
      min: percentile(samples, 0) / 1000,
      max: percentile(samples, 100) / 1000,
      note: `${samples.length} samples`,
    },
  ],
  targets: [{ target: 'in-process cancel to rejection observed: p99 < 50 µs', value: p99, unit: 'µs', limit: 50, ok: p99 < 50 }],
});
