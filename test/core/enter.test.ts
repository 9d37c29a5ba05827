/**
 * SPEC §2 `enter()` / `await using`: the same lifecycle through Symbol.asyncDispose.
 */
import { describe, expect, it } from 'vitest';
import { Cancelable, CancelationSource, ParentCancelation, TimeoutCancelation } from '../../src/index.js';
import { runtime } from '../../src/core/runtime.js';
import { expectCollected } from '../harness/leaks.js';
import { rejection } from './helpers.js';
import { flush, ManualClock } from './manual-clock.js';

describe('await using scope = ....enter()', () => {
  it('runs the block in the scope and ends it completed', async () => {
    const clock = new ManualClock();
    const scope = Cancelable.withTimeout(1_000, { clock, name: 'block' });
    const log: string[] = [];
    scope.onStart(() => void log.push('start')).onComplete((ctx) => void log.push(`complete:${ctx.status}`));
    {
      await using entered = scope.enter();
      expect(entered).toBe(scope);
      expect(scope.status).toBe('running');
      expect(Cancelable.current()).toBe(scope);
      await Promise.resolve();
      expect(Cancelable.current()).toBe(scope);
      log.push('block');
    }
    expect(scope.status).toBe('completed');
    expect(log).toEqual(['start', 'block', 'complete:completed']);
    expect(clock.pending).toBe(0);
  });

  it('a timeout rejects the library awaits in the block; disposal ends it cancelled and never throws', async () => {
    const clock = new ManualClock();
    const scope = Cancelable.withTimeout(100, { clock });
    let caught: unknown;
    {
      await using entered = scope.enter();
      const sleeping = rejection(entered.sleep(5_000));
      await clock.tick(100);
      caught = await sleeping;
    }
    expect(caught).toBeInstanceOf(TimeoutCancelation);
    expect(scope.status).toBe('cancelled');
    expect(scope.cancelError).toBe(caught);
  });

  it('an error thrown in the block passes through; disposal cannot see it: completed unless cancelled', async () => {
    const scope = new Cancelable();
    const boom = new Error('block failed');
    const error = await rejection(
      (async () => {
        await using _entered = scope.enter();
        throw boom;
      })(),
    );
    expect(error).toBe(boom);
    expect(scope.status).toBe('completed');
  });

  it('disposal waits for the end callbacks and for the children', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock });
    const log: string[] = [];
    scope.onComplete(async () => {
      await new Promise((resolve) => clock.setTimeout(resolve, 10, undefined));
      log.push('onComplete done');
    });
    let childRun: Promise<unknown> | undefined;
    const block = (async () => {
      await using _entered = scope.enter();
      childRun = rejection(new Cancelable({ clock, name: 'child' }).run((c) => c.sleep(10_000)));
    })().then(() => log.push('disposed'));
    await flush();
    expect(await childRun).toBeInstanceOf(ParentCancelation);
    await clock.tick(10);
    await block;
    expect(log).toEqual(['onComplete done', 'disposed']);
  });

  it('disposing again, or disposing a scope that was never entered, resolves quietly', async () => {
    const scope = new Cancelable();
    const entered = scope.enter();
    await entered[Symbol.asyncDispose]();
    await entered[Symbol.asyncDispose]();
    await new Cancelable()[Symbol.asyncDispose]();
    expect(scope.status).toBe('completed');
  });

  it('enter() twice, or run() after enter(), throws a TypeError at once', async () => {
    const scope = new Cancelable({ name: 'once' });
    await using _entered = scope.enter();
    expect(() => scope.enter()).toThrow(TypeError);
    expect(() => scope.enter()).toThrow(/^enter\(\): scope 'once' \(.+\) was already started \(status running\); a scope runs once$/);
    expect(() => scope.run(() => 1)).toThrow(/^run\(\): scope 'once' .* already started/);
  });

  it('a source whose start throws: enter() throws that error, the scope ends failed', () => {
    const boom = new Error('cannot start');
    class Broken extends CancelationSource {
      start(): void {
        throw boom;
      }
      stop(): void {}
    }
    const scope = new Cancelable({ sources: [new Broken()] });
    expect(() => scope.enter()).toThrow(boom);
    expect(scope.status).toBe('failed');
    expect(Cancelable.current()).toBeUndefined();
  });

  it('children started in the block have the entered scope as parent', async () => {
    await using scope = new Cancelable({ name: 'entered-parent' }).enter();
    const child = new Cancelable();
    await child.run(() => undefined);
    expect(child.parent).toBe(scope);
  });
});

describe('the async context after the block', () => {
  it('the caller sees its own scope again, even for a detached entered scope', async () => {
    async function work(): Promise<void> {
      await using inner = new Cancelable({ name: 'detached-block', parent: null }).enter();
      expect(Cancelable.current()).toBe(inner);
      await Promise.resolve();
      expect(Cancelable.current()).toBe(inner);
    }
    const outer = new Cancelable({ name: 'outer' });
    await outer.run(async () => {
      await work();
      expect(Cancelable.current()).toBe(outer);
      await Promise.resolve();
      expect(Cancelable.current()).toBe(outer);
      const child = new Cancelable();
      await child.run(() => undefined);
      expect(child.parent).toBe(outer);
    });
    await work();
    expect(Cancelable.current()).toBeUndefined();
  });

  it('after a block in the same function, the scope before it is current again', async () => {
    const outer = new Cancelable({ name: 'outer' });
    await outer.run(async () => {
      {
        await using inner = new Cancelable({ name: 'inner', parent: null }).enter();
        expect(Cancelable.current()).toBe(inner);
      }
      expect(Cancelable.current()).toBe(outer);
    });
  });

  it('an ended entered scope is not kept alive by the contexts it leaked into', async () => {
    async function work(): Promise<void> {
      await using _scope = new Cancelable({ name: 'entered', parent: null }).enter();
      await Promise.resolve();
    }
    await expectCollected(
      async () => {
        const scope = new Cancelable({ name: 'entered-and-ended', parent: null });
        await (async () => {
          await using _s = scope.enter();
          await Promise.resolve();
        })();
        await work();
        return scope;
      },
      { label: 'entered scope' },
    );
  });
});

// Mutation testing (docs/reliability.md): disposal while the block's scope is still ending, and a
// block whose start failed.
describe('enter(): disposal while ending, and a failed start', () => {
  it('a second disposal while the first waits for a child resolves once the scope has ended', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock, name: 'block' });
    scope.enter();
    let childEnded = false;
    const child = new Cancelable({ clock, name: 'child', graceMs: 20 });
    const childRun = child.run(() => new Promise<void>(() => {})).catch(() => void (childEnded = true));
    const first = scope[Symbol.asyncDispose]();
    expect(scope.status).toBe('running'); // settling: it waits for the child (grace 20 ms)
    let secondDone = false;
    const second = scope[Symbol.asyncDispose]().then(() => void (secondDone = true));
    await flush();
    expect(secondDone).toBe(false);
    await clock.tick(20);
    await Promise.all([first, second, childRun]);
    expect(childEnded).toBe(true);
    expect(secondDone).toBe(true);
    expect(scope.status).toBe('completed');
  });

  it('a source that fails to start: enter() throws, and onStart never runs', async () => {
    const failure = new Error('no start');
    const source = new (class extends CancelationSource {
      start(): void {
        throw failure;
      }
      stop(): void {}
    })();
    const started: string[] = [];
    const scope = new Cancelable({ sources: [source] }).onStart(() => void started.push('start'));
    expect(() => scope.enter()).toThrow(failure);
    await flush();
    expect(started).toEqual([]);
    expect(scope.status).toBe('failed');
  });
});

describe('enter(): disposal while the end callbacks run', () => {
  it('a second disposal waits for the async onComplete of the first', async () => {
    const log: string[] = [];
    let finish!: () => void;
    const scope = new Cancelable().onComplete(() => new Promise<void>((resolve) => (finish = resolve)));
    scope.enter();
    const first = scope[Symbol.asyncDispose]().then(() => void log.push('first'));
    await flush();
    expect(scope.status).toBe('completed'); // ended; its callback still runs
    const second = scope[Symbol.asyncDispose]().then(() => void log.push('second'));
    await flush();
    expect(log).toEqual([]);
    finish();
    await Promise.all([first, second]);
    expect(log.sort()).toEqual(['first', 'second']);
  });
});

// Mutation testing (docs/reliability.md, survivors of enter.ts): what disposal does to the async
// context when blocks end out of order or one after another, and disposal of a scope it did not start.
describe('disposal and the async context', () => {
  it('disposing an outer block before the inner one keeps the inner scope current', async () => {
    const outer = new Cancelable({ name: 'outer', parent: null }).enter();
    const inner = new Cancelable({ name: 'inner', parent: null }).enter();
    expect(Cancelable.current()).toBe(inner);
    await outer[Symbol.asyncDispose](); // out of order: the context holds the inner block's frame
    expect(outer.status).toBe('completed');
    expect(Cancelable.current()).toBe(inner);
    await inner[Symbol.asyncDispose]();
    expect(Cancelable.current()).toBeUndefined();
  });

  it('blocks entered one after another leave the context as it was, not a trail of ended frames', async () => {
    const before = runtime.storage.getStore();
    const scopes: Cancelable[] = [];
    for (let i = 0; i < 3; i++) {
      await using scope = new Cancelable({ name: `block-${i}`, parent: null }).enter();
      scopes.push(scope);
      expect(runtime.storage.getStore()).not.toBe(before);
    }
    expect(scopes.map((s) => s.status)).toEqual(['completed', 'completed', 'completed']);
    expect(runtime.storage.getStore()).toBe(before);
  });

  it('disposing a scope started with run() changes nothing: the body still decides', async () => {
    let finish!: (value: string) => void;
    const scope = new Cancelable({ name: 'run-not-entered' });
    const onComplete: string[] = [];
    scope.onComplete(() => void onComplete.push('complete'));
    const run = scope.run(() => new Promise<string>((resolve) => (finish = resolve)));
    await flush();
    await scope[Symbol.asyncDispose]();
    expect(scope.status).toBe('running');
    finish('body value');
    await expect(run).resolves.toBe('body value');
    expect(onComplete).toEqual(['complete']);
  });

  it('disposing an entered scope again while its onComplete still runs calls the callback once', async () => {
    let finish!: () => void;
    let calls = 0;
    const scope = new Cancelable().onComplete(() => {
      calls++;
      return new Promise<void>((resolve) => (finish = resolve));
    });
    scope.enter();
    const first = scope[Symbol.asyncDispose]();
    await flush();
    expect(scope.status).toBe('completed');
    const second = scope[Symbol.asyncDispose]();
    await flush();
    expect(calls).toBe(1);
    finish();
    await Promise.all([first, second]);
    expect(calls).toBe(1);
  });
});
