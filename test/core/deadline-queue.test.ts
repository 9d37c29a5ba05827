/**
 * The shared deadline queue (src/core/time/deadline-queue.ts): one host timer per duration, deadlines
 * of a duration in arrival order, never early, at most ~1 ms late (asserted with generous bounds), a
 * pending deadline keeps the process alive and a cleared one does not, and fake timers installed later
 * still drive new scopes.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cancelable, TimeoutCancelation, systemClock } from '../../src/index.js';
import { clearLongTimeout, deadlineQueueStats, releaseIdleDeadlineTimers, setLongTimeout } from '../../src/core/index.js';
import { rejection, underMutation } from './helpers.js';

const run = promisify(execFile);

afterEach(() => {
  vi.useRealTimers();
  releaseIdleDeadlineTimers();
});

describe('the deadline queue', () => {
  it('serves 1,000 concurrent timeouts of one duration with one host timer', async () => {
    let open = (): void => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const timers = (): number => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    const before = timers();
    const runs = Array.from({ length: 1_000 }, () => Cancelable.withTimeout(60_000).run(() => gate));
    const stats = deadlineQueueStats();
    expect(stats.pending).toBeGreaterThanOrEqual(1_000);
    expect(stats.hostTimers).toBeLessThanOrEqual(stats.durations);
    expect(timers() - before).toBeLessThanOrEqual(1); // one ref'd host timer, not 1,000
    open();
    await Promise.all(runs);
    expect(deadlineQueueStats().pending).toBe(0);
  });

  it('never fires early, in arrival order, and at most a little late', async () => {
    const fired: { index: number; late: number }[] = [];
    const handles = [];
    for (let index = 0; index < 20; index++) {
      const armedAt = performance.now();
      handles.push(
        setLongTimeout(systemClock, () => fired.push({ index, late: performance.now() - (armedAt + 30) }), 30, undefined),
      );
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fired.map((f) => f.index)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    for (const { late } of fired) expect(late).toBeGreaterThanOrEqual(0);
    // Generous: the machine is shared; the design bound is ~1 ms of timer grain.
    for (const { late } of fired) expect(late).toBeLessThan(150);
    for (const handle of handles) clearLongTimeout(systemClock, handle);
  });

  it('a cleared deadline fires nothing; its duration keeps at most one idle unref`d timer', async () => {
    let fired = 0;
    const handle = setLongTimeout(systemClock, () => fired++, 20, undefined);
    clearLongTimeout(systemClock, handle);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(fired).toBe(0);
    expect(deadlineQueueStats().pending).toBe(0);
  });

  it.skipIf(underMutation)('a pending timeout keeps the process alive; a finished scope lets it exit at once', async () => {
    const code = (body: string): string =>
      `import { Cancelable } from ${JSON.stringify(new URL('../../src/index.ts', import.meta.url).pathname)};\n${body}`;
    const started = Date.now();
    const pending = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code(
      "const t0 = Date.now(); await Cancelable.withTimeout(400).run((s) => new Promise(() => {})).catch((e) => console.log(e.name, Date.now() - t0 >= 400));",
    )]);
    expect(pending.stdout.trim()).toBe('TimeoutCancelation true');
    const quick = Date.now();
    await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code(
      'await Cancelable.withTimeout(60_000).run(async () => 1);',
    )]);
    // It exits long before the 60 s the idle host timer would take to fire.
    expect(Date.now() - quick).toBeLessThan(20_000);
    expect(quick - started).toBeGreaterThanOrEqual(400);
  });

  it('fake timers installed after import drive new scopes (the queue steps aside)', async () => {
    vi.useFakeTimers();
    const scope = Cancelable.withTimeout(5_000);
    const result = rejection(scope.run((s) => s.sleep(60_000)));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await result).toBeInstanceOf(TimeoutCancelation);
    expect(deadlineQueueStats().pending).toBe(0);
  });
});
