import { AssertionError } from 'node:assert';
import { describe, expect, it } from 'vitest';
import { Cancelable, CancelationSource, CancelationToken } from '../../src/index.js';
import { channels } from '../../src/core/diagnostics.js';
import { ManualClock, OperationRecorder } from '../../src/testing/index.js';

function noSubscribers(): boolean {
  return Object.values(channels).every((channel) => !channel.hasSubscribers);
}

describe('OperationRecorder', () => {
  it('records the events of an attached scope, with times on its clock', async () => {
    const clock = new ManualClock();
    using recorder = new OperationRecorder();
    const scope = recorder.attach(Cancelable.withTimeout(250, { clock, name: 'export' }));
    expect(recorder.isRecording).toBe(true);
    const run = scope
      .run(async (s) => {
        for (let step = 1; step <= 10; step++) {
          s.reportProgress(`Step ${step}/10`, { step });
          await s.sleep(100);
        }
      })
      .catch(() => undefined);
    await clock.advance(250);
    await run;
    expect(recorder.events.map((e) => `${e.type}@${e.at}`)).toEqual([
      'start@0',
      'progress@0',
      'progress@100',
      'progress@200',
      'cancel@250',
      'end@250',
    ]);
    expect(recorder.events.every((e) => e.operationId === scope.id && e.name === 'export')).toBe(true);
    expect(recorder.events.map((e) => e.index)).toEqual([0, 1, 2, 3, 4, 5]);
    const cancel = recorder.assertEventOccurred(scope, 'cancel', { reason: 'timeout', source: 'timeout(250ms)' });
    expect(cancel.data.message).toBe('Operation timed out after 250ms');
    expect(recorder.assertEventOccurred(scope.id, 'progress', { message: /Step 2/ }).data.metadata).toEqual({ step: 2 });
    const end = recorder.assertEventOccurred(scope, 'end', (event) => event.data.durationMs === 250);
    expect(end.data.context).toMatchObject({ status: 'cancelled', cancelReason: 'timeout' });
    recorder.assertFinalStatus(scope, 'cancelled');
    recorder.assertEventNotOccurred(scope, 'callback-error');
    expect(recorder.eventsOfType('progress')).toHaveLength(3);
    expect(recorder.eventsFor(scope)).toHaveLength(6);
  });

  it('ignores scopes it is not attached to, unless children are asked for', async () => {
    const recorder = new OperationRecorder();
    const other = new Cancelable({ name: 'other' });
    const parent = new Cancelable({ name: 'parent' });
    const lone = new Cancelable({ name: 'lone' });
    recorder.attach(parent, { children: true });
    recorder.attach(lone);
    await other.run(() => 1);
    await parent.run(async () => {
      await new Cancelable({ name: 'child' }).run(() => 2);
    });
    await lone.run(async () => {
      await new Cancelable({ name: 'not-recorded' }).run(() => 3);
    });
    recorder.stop();
    expect(recorder.events.filter((e) => e.type === 'start').map((e) => e.name)).toEqual(['parent', 'child', 'lone']);
  });

  it('records callback, source and abandoned events, the late settle included', async () => {
    const clock = new ManualClock();
    const recorder = new OperationRecorder();
    class BrokenStop extends CancelationSource {
      start(): void {}
      stop(): void {
        throw new Error('stop failed');
      }
    }
    let late!: (value: string) => void;
    const scope = recorder.attach(
      Cancelable.withTimeout(10, { clock, graceMs: 5, sources: [new BrokenStop({ name: 'broken' })] }).onCancel(() => {
        throw new Error('onCancel failed');
      }),
    );
    const run = scope.run(() => new Promise<string>((resolve) => (late = resolve))).catch(() => undefined);
    await clock.advance(15);
    await run;
    late('late value');
    await clock.advance(0);
    recorder.stop();
    expect(recorder.events.map((e) => e.type)).toEqual([
      'start',
      'cancel',
      'abandoned',
      'source-error',
      'end',
      'callback-error',
      'abandoned',
    ]);
    recorder.assertEventOccurred(scope, 'source-error', { source: 'broken', phase: 'stop' });
    recorder.assertEventOccurred(scope, 'callback-error', { callback: 'onCancel' });
    recorder.assertEventOccurred(scope, 'abandoned', { outcome: 'fulfilled', value: 'late value', graceMs: 5 });
  });

  it('recordAll records every scope, and token callback failures (no operation)', async () => {
    const recorder = new OperationRecorder().recordAll();
    try {
      await new Cancelable({ name: 'anyone' }).run(() => 1);
      const token = new CancelationToken();
      token.onCancel(() => {
        throw new Error('x');
      });
      await token.cancel();
    } finally {
      recorder.stop();
    }
    expect(recorder.events.map((e) => [e.type, e.name])).toEqual([
      ['start', 'anyone'],
      ['end', 'anyone'],
      ['callback-error', null],
    ]);
  });

  it('assertion failures are AssertionErrors that say what was recorded', async () => {
    const recorder = new OperationRecorder();
    const scope = recorder.attach(new Cancelable({ name: 'quick', id: 'op-1' }));
    await scope.run((s) => s.reportProgress('only step'));
    recorder.stop();
    const failure = (fn: () => unknown): AssertionError => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(AssertionError);
        return error as AssertionError;
      }
      throw new Error('expected an AssertionError');
    };
    expect(failure(() => recorder.assertEventOccurred(scope, 'cancel')).message).toBe(
      "Expected a 'cancel' event for 'quick' (op-1); recorded for it: start, progress('only step'), end(completed)",
    );
    expect(failure(() => recorder.assertEventOccurred('op-1', 'progress', { message: 'other' })).message).toMatch(
      /Expected a 'progress' event for operation op-1 matching \{ message: 'other' \}/,
    );
    expect(failure(() => recorder.assertFinalStatus(scope, 'cancelled')).message).toBe(
      "Expected 'quick' (op-1) to end 'cancelled', but it ended 'completed'",
    );
    expect(failure(() => recorder.assertEventNotOccurred(scope, 'progress')).message).toMatch(
      /Expected no 'progress' event for 'quick' \(op-1\), got/,
    );
    const pending = new Cancelable({ name: 'never-run', id: 'op-2' });
    expect(failure(() => recorder.assertFinalStatus(pending, 'completed')).message).toMatch(
      /no end was recorded \(status now: pending\); recorded for it: nothing/,
    );
    const failing = new OperationRecorder();
    const broken = failing.attach(new Cancelable({ name: 'broken', id: 'op-3' }));
    await broken.run(() => Promise.reject(new RangeError('bad range'))).catch(() => undefined);
    failing.stop();
    expect(failure(() => failing.assertFinalStatus(broken, 'completed')).message).toBe(
      "Expected 'broken' (op-3) to end 'completed', but it ended 'failed' with RangeError: bad range",
    );
  });

  it('waitForEvent resolves with a recorded event or the next matching one', async () => {
    const clock = new ManualClock();
    const recorder = new OperationRecorder();
    const scope = recorder.attach(new Cancelable({ clock }));
    const step3 = recorder.waitForEvent('progress', { operation: scope, match: { message: 'Step 3' } });
    const run = scope.run(async (s) => {
      for (let i = 1; i <= 5; i++) {
        s.reportProgress(`Step ${i}`);
        await s.sleep(10);
      }
    });
    await clock.advance(20);
    const event = await step3;
    expect(event.at).toBe(20);
    await expect(recorder.waitForEvent('start')).resolves.toMatchObject({ type: 'start' });
    await clock.advance(30);
    await run;
    recorder.stop();
    await expect(recorder.waitForEvent('cancel')).rejects.toThrow(/not recording/);
  });

  it('stop() unsubscribes from every channel; clear() forgets', async () => {
    const recorder = new OperationRecorder();
    expect(noSubscribers()).toBe(true);
    const scope = recorder.attach(new Cancelable());
    expect(noSubscribers()).toBe(false);
    await scope.run(() => 1);
    recorder.clear();
    expect(recorder.events).toEqual([]);
    recorder.stop();
    recorder.stop();
    expect(noSubscribers()).toBe(true);
    {
      using scoped = new OperationRecorder().recordAll();
      expect(scoped.isRecording).toBe(true);
    }
    expect(noSubscribers()).toBe(true);
  });

  it('validates its inputs', () => {
    const recorder = new OperationRecorder();
    expect(() => recorder.attach({} as never)).toThrow(/scope must be a Cancelable, got an object/);
    expect(() => recorder.eventsOfType('finish' as never)).toThrow(/type must be one of start, progress, cancel/);
    expect(() => recorder.assertEventOccurred(42 as never, 'start')).toThrow(/operation must be a Cancelable or an operation id/);
    expect(recorder.isRecording).toBe(false);
  });
});
