/**
 * Per-file leak checker (vitest `setupFiles`). A baseline is taken before the file's own
 * hooks run; after every hook and test of the file has finished (this afterAll is registered
 * first, so with vitest's default 'stack' hook order it runs last), the file fails if it left
 * behind ref'd timers or immediates, signal / IPC / lifecycle listeners on `process`, worker
 * threads, child processes, sockets or servers beyond that baseline. What vitest itself holds
 * is part of the baseline (its transient throttle timer is excluded, see snapshotBaseline).
 *
 * Opt out for one file (e.g. one that deliberately keeps a long-lived server) with
 * `process.env.CANCELABLE_SKIP_LEAK_CHECK = '1'` at the top of the file; avoid it.
 */
import { afterAll, beforeAll } from 'vitest';
import { assertNoLeaks, snapshotBaseline, type ResourceSnapshot } from './leaks.js';

let baseline: ResourceSnapshot | undefined;

beforeAll(async () => {
  baseline = await snapshotBaseline({ maxMs: 250 });
});

afterAll(async () => {
  if (!baseline || process.env.CANCELABLE_SKIP_LEAK_CHECK === '1') return;
  await assertNoLeaks(baseline, {
    settleTurns: 5,
    settleMs: 500,
    label: 'Test file leaked resources',
  });
}, 10_000);
