/**
 * The seed's "All Sources Combined" example, as written (TypeScript form):
 *   Cancelable.combine([new TimeoutSource(600_000), new SignalSource('SIGTERM', 'SIGINT'), token,
 *                       new ConditionSource(diskFull, 5_000)], { name: 'robust_operation' })
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Cancelable,
  CancelationToken,
  ConditionCancelation,
  ConditionSource,
  ManualCancelation,
  SignalCancelation,
  SignalSource,
  TimeoutCancelation,
  TimeoutSource,
} from '../../src/index.js';
import { rejection } from './clock.js';

let diskUsage = 0.5;
function diskFull(): boolean {
  return diskUsage > 0.95;
}

function robustOperation(token: CancelationToken): Cancelable {
  return Cancelable.combine(
    [new TimeoutSource(600_000), new SignalSource('SIGTERM', 'SIGINT'), token, new ConditionSource(diskFull, 5_000)],
    { name: 'robust_operation' },
  );
}

/** The operation: works until cancelled. */
async function operation(scope: Cancelable): Promise<never> {
  for (;;) await scope.sleep(1_000);
}

afterEach(() => {
  vi.useRealTimers();
  diskUsage = 0.5;
});

describe("the seed's combined example", () => {
  it('listens to all four sources while it runs, and to none after', async () => {
    const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const token = new CancelationToken();
    const scope = robustOperation(token);
    expect(scope.name).toBe('robust_operation');
    expect(scope.sources).toHaveLength(4);
    const run = rejection(
      scope.run(async (s) => {
        expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual([before[0]! + 1, before[1]! + 1]);
        return operation(s);
      }),
    );
    await token.cancel('User pressed stop');
    const error = await run;
    expect(error).toBeInstanceOf(ManualCancelation);
    expect(error.message).toBe('User pressed stop');
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);
  });

  it('is cancelled by the disk condition at the check that sees it', async () => {
    vi.useFakeTimers();
    const scope = robustOperation(new CancelationToken());
    const run = rejection(scope.run(operation));
    await vi.advanceTimersByTimeAsync(10_000); // checks at 0, 5 s, 10 s
    expect(scope.isCancelled).toBe(false);
    diskUsage = 0.97;
    await vi.advanceTimersByTimeAsync(5_000);
    const error = await run;
    expect(error).toBeInstanceOf(ConditionCancelation);
    expect(error.message).toBe("Condition 'diskFull' met after 4 checks");
  });

  it('is cancelled by the 10-minute timeout', async () => {
    vi.useFakeTimers();
    const scope = robustOperation(new CancelationToken());
    const run = rejection(scope.run(operation));
    await vi.advanceTimersByTimeAsync(599_999);
    expect(scope.isCancelled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = await run;
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect((error as TimeoutCancelation).timeoutMs).toBe(600_000);
  });

  it('is cancelled by a real SIGTERM', async () => {
    const scope = robustOperation(new CancelationToken());
    const run = rejection(scope.run(operation));
    // Only this scope listens (the signal would end the test process otherwise).
    expect(process.listenerCount('SIGTERM')).toBe(1);
    process.kill(process.pid, 'SIGTERM');
    const error = await run;
    expect(error).toBeInstanceOf(SignalCancelation);
    expect((error as SignalCancelation).signal).toBe('SIGTERM');
    expect(error.message).toBe('Received signal SIGTERM');
    expect(scope.context.cancelReason).toBe('signal');
  });
});
