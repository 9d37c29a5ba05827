/**
 * The full leak and soak run (docs/reliability.md):
 *
 *   node --expose-gc --import tsx scripts/soak.ts            # full counts (1,000,000 scope cycles...)
 *   node --expose-gc --import tsx scripts/soak.ts --quick    # the CI counts
 *   node --expose-gc --import tsx scripts/soak.ts --scale 0.1
 *
 * Runs every workload of test/reliability/soak-runs.ts (real timers, threads, child processes and
 * signals), prints a Markdown table of the figures, and exits with status 1 if anything was left
 * behind (handles, listeners, threads, processes) or the heap grew by more than the allowed bytes
 * per unit.
 */
import { CI_COUNTS, FULL_COUNTS, runSoak, type SoakCounts, type SoakResult } from '../test/reliability/soak-runs.js';

if (typeof globalThis.gc !== 'function') {
  console.error('scripts/soak.ts needs --expose-gc: node --expose-gc --import tsx scripts/soak.ts');
  process.exit(2);
}

const args = process.argv.slice(2);
const scaleAt = args.indexOf('--scale');
const scale = scaleAt >= 0 ? Number(args[scaleAt + 1]) : 1;
if (!(scale > 0)) {
  console.error(`--scale must be a number > 0, got ${args[scaleAt + 1]}`);
  process.exit(2);
}
const base: SoakCounts = args.includes('--quick') ? CI_COUNTS : FULL_COUNTS;
const counts = Object.fromEntries(
  Object.entries(base).map(([key, value]) => [key, Math.max(1, Math.round((value as number) * scale))]),
) as unknown as SoakCounts;

/** Allowed heap growth after GC: bytes per unit, with a floor for the noise of the runtime itself. */
const LIMITS: Record<string, number> = {
  'scope cycles': 4,
  'long-lived parents': 4,
  'stream cancellation churn': 16,
  'signal scopes opened and closed': 16,
  'workers started and cancelled': 64 * 1024,
  'child processes started and cancelled': 64 * 1024,
};
const FLOOR = 3 * 1024 * 1024;

// The signal workload sends a real SIGUSR2; a listener of our own keeps a stray one harmless.
process.on('SIGUSR2', () => undefined);

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;
const failures: string[] = [];

console.log(`cancelable soak — Node ${process.version}, ${process.platform}/${process.arch}, counts ${JSON.stringify(counts)}\n`);
console.log('| workload | done | time | heap after GC | per unit | left behind | notes |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');

const started = Date.now();
const results: SoakResult[] = await runSoak(counts, (r) => {
  const limit = Math.max(FLOOR, (LIMITS[r.name] ?? 0) * r.count);
  if (r.leaks !== '') failures.push(`${r.name}: left behind\n${r.leaks}`);
  if (r.heapDelta > limit) failures.push(`${r.name}: heap grew by ${kib(r.heapDelta)} (limit ${kib(limit)})`);
  console.log(
    `| ${r.name} | ${r.done} | ${(r.ms / 1000).toFixed(1)} s | ${kib(r.heapDelta)} | ${r.bytesPerUnit.toFixed(2)} B | ${r.leaks === '' ? 'nothing' : 'LEAK'} | ${r.notes} |`,
  );
});

console.log(`\n${results.length} workloads in ${((Date.now() - started) / 1000).toFixed(0)} s`);
if (failures.length > 0) {
  console.error(`\nFAILED:\n${failures.join('\n')}`);
  process.exit(1);
}
console.log('nothing left behind');
// The process must now exit on its own; if something still holds the event loop, say so.
setTimeout(() => {
  console.error('FAILED: something keeps the process alive after the soak');
  process.exit(1);
}, 10_000).unref();
