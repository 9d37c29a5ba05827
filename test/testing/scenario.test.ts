import { AssertionError } from 'node:assert';
import { describe, expect, it } from 'vitest';
import { Cancelable, ManualCancelation, ParentCancelation, TimeoutCancelation } from '../../src/index.js';
import { CancelationScenario, ManualClock } from '../../src/testing/index.js';

async function steps(scope: Cancelable, count = 10, ms = 100): Promise<string> {
  for (let step = 1; step <= count; step++) {
    scope.reportProgress(`Step ${step}/${count}`);
    await scope.sleep(ms);
  }
  return 'all done';
}

describe('CancelationScenario', () => {
  it('plays delays, checks and a cancellation against an operation, then checks the outcome', async () => {
    const clock = new ManualClock();
    const seenAt: number[] = [];
    const result = await new CancelationScenario('user stops', { clock })
      .addDelay(250)
      .addCheck(({ recorder, scope, elapsedMs }) => {
        seenAt.push(elapsedMs);
        recorder.assertEventOccurred(scope, 'progress', { message: 'Step 3/10' });
        recorder.assertEventNotOccurred(scope, 'progress', { message: 'Step 4/10' });
      })
      .addCancelation('Stopped by user')
      .addStatusCheck('cancelled')
      .addCancelReasonCheck('manual')
      .addProgressCheck('Step 2/10')
      .addProgressCheck(/Step 3/)
      .run((scope) => steps(scope));
    expect(seenAt).toEqual([250]);
    expect(result).toMatchObject({
      name: 'user stops',
      status: 'cancelled',
      value: undefined,
      elapsedMs: 250,
      context: { name: 'scenario:user stops', cancelMessage: 'Stopped by user', durationMs: 250 },
    });
    expect(result.error).toBeInstanceOf(ManualCancelation);
    expect(result.token.calls).toMatchObject([{ message: 'Stopped by user', accepted: true, at: 250 }]);
    expect(clock.pendingTimers).toBe(0);
    expect(result.recorder.isRecording).toBe(false);
  });

  it('after the timeline, a ManualClock runs until the operation ends', async () => {
    const clock = new ManualClock();
    const result = await new CancelationScenario('runs to the end', { clock })
      .addDelay(100)
      .addStatusCheck('completed')
      .run((scope) => steps(scope, 5));
    expect(result.value).toBe('all done');
    expect(result.elapsedMs).toBe(500);
  });

  it('passes scope options; a CancelationError from elsewhere is the outcome, with its reason', async () => {
    const clock = new ManualClock();
    const result = await new CancelationScenario('too slow', { clock, scope: { graceMs: 0, metadata: { case: 7 } } })
      .addStatusCheck('cancelled')
      .addCancelReasonCheck('timeout')
      .run(async () => {
        await Cancelable.withTimeout(300, { clock, parent: null }).run((inner) => steps(inner));
      });
    expect(result.scope.graceMs).toBe(0);
    expect(result.context.metadata).toEqual({ case: 7 });
    expect(result.error).toBeInstanceOf(TimeoutCancelation);
    expect(result.elapsedMs).toBe(300);
    expect(result.token.cancelCount).toBe(0);
  });

  it('status and reason checks fail with clear AssertionErrors', async () => {
    const clock = new ManualClock();
    const wrongStatus = new CancelationScenario('never cancelled', { clock })
      .addStatusCheck('cancelled')
      .run((scope) => steps(scope, 2));
    await expect(wrongStatus).rejects.toBeInstanceOf(AssertionError);
    await expect(wrongStatus).rejects.toThrow(/to end 'cancelled', but it ended 'completed'/);

    const wrongReason = new CancelationScenario('manual stop', { clock })
      .addDelay(50)
      .addCancelation({ reason: 'timeout', message: 'budget' })
      .addCancelReasonCheck('manual')
      .run((scope) => steps(scope));
    await expect(wrongReason).rejects.toThrow("Scenario 'manual stop': expected a 'manual' cancellation, got 'timeout' (status cancelled)");

    const missingProgress = new CancelationScenario('progress', { clock })
      .addDelay(50)
      .addCancelation()
      .addProgressCheck('Step 5/10')
      .run((scope) => steps(scope));
    await expect(missingProgress).rejects.toThrow(/Expected a 'progress' event .* matching \{ message: 'Step 5\/10' \}; recorded for it: start, progress\('Step 1\/10'\), cancel/);
  });

  it('a failing timeline check cancels the operation, then fails the scenario with its error', async () => {
    const clock = new ManualClock();
    let operationError: unknown;
    const scenario = new CancelationScenario('bad check', { clock })
      .addDelay(100)
      .addCheck(() => {
        throw new AssertionError({ message: 'not yet' });
      }, 'step two reached')
      .run(async (scope) => {
        try {
          return await steps(scope);
        } catch (error) {
          operationError = error;
          throw error;
        }
      });
    await expect(scenario).rejects.toThrow('not yet');
    expect(operationError).toBeInstanceOf(ManualCancelation);
    expect((operationError as Error).message).toBe("Scenario 'bad check': check 'step two reached' failed");
    expect(clock.pendingTimers).toBe(0);
  });

  it('records child scopes too (children are cancelled with the parent)', async () => {
    const clock = new ManualClock();
    const result = await new CancelationScenario('tree', { clock })
      .addDelay(10)
      .addCancelation('stop')
      .run(async () => {
        await new Cancelable({ name: 'child', clock }).run((child) => child.sleep(1_000));
      });
    const childCancel = result.recorder.events.find((event) => event.type === 'cancel' && event.name === 'child');
    expect(childCancel?.data.reason).toBe('parent');
    expect(childCancel?.data.error).toBeInstanceOf(ParentCancelation);
  });

  it('runs on real time with the default clock', async () => {
    const result = await new CancelationScenario('real')
      .addDelay(20)
      .addCancelation('stop')
      .addStatusCheck('cancelled')
      .run((scope) => scope.sleep(10_000));
    expect(result.elapsedMs).toBeGreaterThanOrEqual(15);
  });

  it('validates its inputs', async () => {
    expect(() => new CancelationScenario(5 as never)).toThrow(/name must be a string, got 5/);
    expect(() => new CancelationScenario('x', { clock: {} as never })).toThrow(/options\.clock must be a Clock/);
    const scenario = new CancelationScenario('x');
    expect(() => scenario.addDelay(-5)).toThrow(/ms must be a finite number of milliseconds >= 0, got -5/);
    expect(() => scenario.addCancelation({ reason: 'oops' as never })).toThrow(/argument\.reason must be one of/);
    expect(() => scenario.addCheck('x' as never)).toThrow(/fn must be a function/);
    expect(() => scenario.addStatusCheck('running')).toThrow(/status must be one of completed, cancelled, failed; got "running"/);
    expect(() => scenario.addCancelReasonCheck('because' as never)).toThrow(/reason must be one of/);
    expect(() => scenario.addProgressCheck(3 as never)).toThrow(/message must be a string or a RegExp/);
    await expect(scenario.run('op' as never)).rejects.toThrow(/operation must be a function/);
  });
});
