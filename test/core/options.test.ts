/**
 * What a scope's options and assignable members do once accepted (src/core/scope/options.ts and the
 * setters of cancel-scope.ts): the option is applied, the default holds without it, and the setters
 * check their value and the scope's phase. (Bad values and their messages: bad-input.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { Cancelable, TimeoutCancelation, TimeoutSource } from '../../src/index.js';
import { rejection } from './helpers.js';
import { ManualClock } from './manual-clock.js';

describe('options applied', () => {
  it('timeout and deadline add their sources: the scope is cancelled when they fall due', async () => {
    const clock = new ManualClock();
    const timed = new Cancelable({ clock, timeout: 100 });
    const dated = new Cancelable({ clock, deadline: clock.now() + 200 });
    expect(timed.sources).toHaveLength(1);
    expect(dated.sources).toHaveLength(1);
    const timedRun = rejection(timed.run((s) => s.sleep(1_000)));
    const datedRun = rejection(dated.run((s) => s.sleep(1_000)));
    await clock.tick(100);
    expect(await timedRun).toBeInstanceOf(TimeoutCancelation);
    expect(dated.isCancelled).toBe(false);
    await clock.tick(100);
    const datedError = await datedRun;
    expect(datedError).toBeInstanceOf(TimeoutCancelation);
    expect((datedError as Error).message).toMatch(/deadline/i);
  });

  it("the name is 'operation' unless given, with or without options", () => {
    expect(new Cancelable().name).toBe('operation');
    expect(new Cancelable({ id: 'some-id' }).name).toBe('operation');
    expect(new Cancelable({ name: 'named' }).name).toBe('named');
  });

  it('addSource() adds to the sources given in the options', () => {
    const first = new TimeoutSource(100);
    const second = new TimeoutSource(200);
    const scope = new Cancelable({ sources: [first] }).addSource(second);
    expect(scope.sources).toEqual([first, second]);
  });
});

describe('members before, during and after the run', () => {
  it('parent is undefined until start (even when given), isRunning only while running', async () => {
    const parent = new Cancelable({ name: 'parent' });
    await parent.run(async (p) => {
      const child = new Cancelable({ name: 'child', parent: p });
      expect(child.parent).toBeUndefined();
      expect(child.isRunning).toBe(false);
      await child.run((c) => {
        expect(c.parent).toBe(p);
        expect(c.isRunning).toBe(true);
      });
      expect(child.parent).toBe(p);
      expect(child.isRunning).toBe(false);
    });
  });

  it('name can be set before start only: a non-empty string', async () => {
    const scope = new Cancelable();
    scope.name = 'renamed';
    expect(scope.name).toBe('renamed');
    expect(() => (scope.name = 42 as never)).toThrow(new TypeError('name must be a string, got 42'));
    expect(() => (scope.name = '')).toThrow(new RangeError('name must not be empty'));
    expect(scope.name).toBe('renamed');
    await scope.run(() => {
      expect(() => (scope.name = 'late')).toThrow(new TypeError("name can only be set before the scope starts; 'renamed' is running"));
    });
    expect(() => (scope.name = 'later')).toThrow(/^name can only be set before the scope starts; 'renamed' is completed$/);
    expect(scope.name).toBe('renamed');
  });

  it('graceMs can be set until the scope ends, and is then used', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock });
    scope.graceMs = 50;
    expect(scope.graceMs).toBe(50);
    expect(() => (scope.graceMs = -1)).toThrow(RangeError);
    expect(() => (scope.graceMs = -1)).toThrow(/^graceMs must be/);
    const run = rejection(
      scope.run(() => {
        scope.graceMs = 20; // while running: still allowed, and used by the grace period
        scope.cancel('stop');
        return new Promise(() => {}); // ignores the cancellation: abandoned after the grace period
      }),
    );
    await clock.tick(20);
    expect(await run).toBe(scope.cancelError);
    expect(scope.graceMs).toBe(20);
    expect(() => (scope.graceMs = 10)).toThrow(new TypeError("graceMs cannot be set after the scope ended; 'operation' is cancelled"));
    const completed = new Cancelable();
    await completed.run(() => undefined);
    expect(() => (completed.graceMs = 10)).toThrow(/'operation' is completed$/);
  });

  it('metadata can be replaced by another object, never by anything else', () => {
    const scope = new Cancelable({ metadata: { a: 1 } });
    scope.metadata = { b: 2 };
    expect(scope.metadata).toEqual({ b: 2 });
    expect(scope.context.metadata).toEqual({ b: 2 });
    for (const [value, shown] of [
      [null, 'null'],
      ['m', '"m"'],
      [3, '3'],
    ] as const) {
      expect(() => (scope.metadata = value as never)).toThrow(new TypeError(`metadata must be an object, got ${shown}`));
    }
    expect(scope.metadata).toEqual({ b: 2 });
  });
});
