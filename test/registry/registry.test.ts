import { describe, expect, it, vi } from 'vitest';
import {
  Cancelable,
  ManualCancelation,
  OperationRegistry,
  ParentCancelation,
  type Clock,
} from '../../src/index.js';
import { ManualClock } from '../../src/testing/index.js';

/** A clock whose time only moves when the test says (timers are real: none fire in these tests). */
function steppedClock(start = 1_000_000): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    setTimeout: (callback, ms, arg) => setTimeout(callback, ms, arg),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    advance(ms: number) {
      now += ms;
    },
  };
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Starts a registered scope whose body waits for `until` (or the scope's cancellation). */
function start(
  registry: OperationRegistry,
  name: string,
  until: Promise<void>,
  extra?: ConstructorParameters<typeof Cancelable>[0],
): { scope: Cancelable; done: Promise<unknown> } {
  const scope = new Cancelable({ name, register: registry, ...extra });
  const done = scope.run((s) => s.race(until)).catch((error: unknown) => error);
  return { scope, done };
}

describe('registration', () => {
  it('register: true uses OperationRegistry.default, installed when the module loads', async () => {
    expect(OperationRegistry.default).toBe(OperationRegistry.default);
    const g = gate();
    const { scope, done } = start(OperationRegistry.default, 'ignored', g.promise, { register: true });
    expect(OperationRegistry.default.get(scope.id)).toBe(scope);
    g.open();
    await done;
    expect(OperationRegistry.default.get(scope.id)).toBeUndefined();
  });

  it('register: someRegistry uses that one only', async () => {
    const a = new OperationRegistry();
    const b = new OperationRegistry();
    const g = gate();
    const { scope, done } = start(a, 'only-a', g.promise);
    expect(a.get(scope.id)).toBe(scope);
    expect(b.get(scope.id)).toBeUndefined();
    expect(OperationRegistry.default.get(scope.id)).toBeUndefined();
    g.open();
    await done;
  });

  it('autoRegister registers every scope while it is on', async () => {
    const registry = new OperationRegistry();
    registry.autoRegister = true;
    try {
      expect(registry.autoRegister).toBe(true);
      await new Cancelable({ name: 'auto-1' }).run(() => {
        expect(registry.list().map((c) => c.name)).toEqual(['auto-1']);
      });
      await new Cancelable({ name: 'auto-2', register: registry }).run(() => {
        expect(registry.size).toBe(1); // not twice
      });
    } finally {
      registry.autoRegister = false;
    }
    await new Cancelable({ name: 'not-auto' }).run(() => undefined);
    expect(registry.history().map((c) => c.name)).toEqual(['auto-1', 'auto-2']);
    const viaOption = new OperationRegistry({ autoRegister: true });
    expect(viaOption.autoRegister).toBe(true);
    viaOption.autoRegister = false;
  });

  it('costs an unregistered scope nothing: the registry is never called', async () => {
    const registry = new OperationRegistry();
    const started = vi.spyOn(registry, 'scopeStarted');
    const ended = vi.spyOn(registry, 'scopeEnded');
    await new Cancelable({ name: 'plain' }).run((s) => s.reportProgress('x'));
    expect(started).not.toHaveBeenCalled();
    expect(ended).not.toHaveBeenCalled();
    expect(registry.size).toBe(0);
  });

  it('rejects a duplicate id: that run fails, the first is unaffected, the id is free again after', async () => {
    const registry = new OperationRegistry();
    const g = gate();
    const first = start(registry, 'first', g.promise, { id: 'job-1' });
    const second = new Cancelable({ name: 'second', id: 'job-1', register: registry });
    const error = await second.run(() => 'never').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/"job-1" is already used by the running operation 'first'/);
    expect(second.status).toBe('failed');
    expect(registry.get('job-1')).toBe(first.scope);
    g.open();
    await first.done;
    await expect(new Cancelable({ id: 'job-1', register: registry }).run(() => 'again')).resolves.toBe('again');
    expect(registry.history().map((c) => c.name)).toEqual(['first', 'operation']);
  });

  it('validates its options', () => {
    expect(() => new OperationRegistry(5 as never)).toThrow(/options must be an options object/);
    expect(() => new OperationRegistry({ historyLimit: -1 })).toThrow(RangeError);
    expect(() => new OperationRegistry({ historyLimit: 1.5 })).toThrow(/options.historyLimit must be an integer >= 0, got 1.5/);
    const registry = new OperationRegistry();
    expect(() => {
      registry.autoRegister = 'yes' as never;
    }).toThrow(/autoRegister must be a boolean, got "yes"/);
    expect(() => {
      registry.historyLimit = -2;
    }).toThrow(RangeError);
  });
});

describe('leaving the live set', () => {
  it('a finished operation leaves at once: before its end callbacks run', async () => {
    const registry = new OperationRegistry();
    const scope = new Cancelable({ register: registry });
    let seenInCallback: Cancelable | undefined = scope;
    scope.onComplete(() => {
      seenInCallback = registry.get(scope.id);
    });
    await scope.run(() => undefined);
    expect(seenInCallback).toBeUndefined();
    expect(registry.history()).toHaveLength(1);
  });

  it('a registered child cancelled by an (unregistered) enclosing scope still unregisters', async () => {
    const registry = new OperationRegistry();
    const parent = new Cancelable({ name: 'parent' });
    let child: Cancelable | undefined;
    const run = parent.run(async (p) => {
      child = new Cancelable({ name: 'child', register: registry });
      const pending = child.run((c) => c.sleep(60_000));
      expect(registry.size).toBe(1);
      p.cancel('shutdown');
      await pending;
    });
    await expect(run).rejects.toBeInstanceOf(ManualCancelation);
    expect(child!.cancelError).toBeInstanceOf(ParentCancelation);
    expect(registry.size).toBe(0);
    expect(registry.history()).toMatchObject([{ name: 'child', status: 'cancelled', cancelReason: 'parent' }]);
  });

  it('a child still running when its parent ends is cancelled and unregisters too', async () => {
    const registry = new OperationRegistry();
    let child: Promise<unknown> | undefined;
    await new Cancelable({ name: 'parent' }).run(() => {
      child = new Cancelable({ name: 'orphan', register: registry })
        .run((c) => c.sleep(60_000))
        .catch((e: unknown) => e);
    });
    expect(await child).toBeInstanceOf(ParentCancelation);
    expect(registry.size).toBe(0);
  });

  it('a body that ignores cancellation is abandoned after the grace and unregisters', async () => {
    const registry = new OperationRegistry();
    const clock = new ManualClock();
    const scope = new Cancelable({ name: 'stubborn', register: registry, graceMs: 5, clock });
    let finish!: () => void;
    const stubborn = new Promise<void>((resolve) => (finish = resolve));
    let settled = false;
    const run = scope.run(() => stubborn); // never looks at the signal
    run.then(
      () => (settled = true),
      () => (settled = true),
    );
    scope.cancel('stop');
    await clock.advance(4);
    expect(settled).toBe(false); // still within the grace: waited for
    expect(registry.size).toBe(1);
    await clock.advance(1);
    await expect(run).rejects.toBeInstanceOf(ManualCancelation);
    expect(registry.size).toBe(0);
    finish();
  });

  it('failed and completed operations go to the history with their final status', async () => {
    const registry = new OperationRegistry();
    await new Cancelable({ name: 'ok', register: registry }).run(() => 1);
    await new Cancelable({ name: 'bad', register: registry })
      .run(() => {
        throw new Error('broken');
      })
      .catch(() => undefined);
    expect(registry.history().map((c) => [c.name, c.status, c.error])).toEqual([
      ['ok', 'completed', null],
      ['bad', 'failed', 'broken'],
    ]);
  });
});

describe('get, list and snapshots', () => {
  it('get returns the live scope, undefined for unknown ids; bad ids throw', async () => {
    const registry = new OperationRegistry();
    const g = gate();
    const { scope, done } = start(registry, 'live', g.promise);
    expect(registry.get(scope.id)).toBe(scope);
    expect(registry.get('nope')).toBeUndefined();
    expect(() => registry.get(1 as never)).toThrow(/id must be a string, got 1/);
    g.open();
    await done;
  });

  it('list filters by status, name (substring, case-insensitive, or RegExp) and parentId', async () => {
    const registry = new OperationRegistry();
    const g = gate();
    const runs: Promise<unknown>[] = [];
    let parentId = '';
    const parent = new Cancelable({ name: 'Batch-Parent', register: registry });
    runs.push(
      parent.run(async (p) => {
        parentId = p.id;
        const kids = ['Fetch-Users', 'fetch-orders', 'Import-1'].map((name) => start(registry, name, g.promise));
        await g.promise;
        await Promise.all(kids.map((k) => k.done));
      }),
    );
    const top = start(registry, 'import-2', g.promise, { parent: null });
    runs.push(top.done);
    const names = (filter?: Parameters<OperationRegistry['list']>[0]): string[] =>
      registry.list(filter).map((c) => c.name);
    expect(names()).toEqual(['Batch-Parent', 'Fetch-Users', 'fetch-orders', 'Import-1', 'import-2']);
    expect(names({ name: 'FETCH' })).toEqual(['Fetch-Users', 'fetch-orders']);
    const global = /^import-\d$/gi; // global + sticky state must not leak between operations
    expect(names({ name: global })).toEqual(['Import-1', 'import-2']);
    expect(names({ name: global })).toEqual(['Import-1', 'import-2']);
    expect(names({ parentId })).toEqual(['Fetch-Users', 'fetch-orders', 'Import-1']);
    expect(names({ parentId: null })).toEqual(['Batch-Parent', 'import-2']);
    expect(names({ parentId, name: 'import' })).toEqual(['Import-1']);
    expect(names({ status: 'running' })).toHaveLength(5);
    expect(names({ status: ['completed', 'failed'] })).toEqual([]);
    g.open();
    await Promise.all(runs);
    expect(names()).toEqual([]);
  });

  it('list rejects bad filters', () => {
    const registry = new OperationRegistry();
    expect(() => registry.list('x' as never)).toThrow(/filter must be an options object/);
    expect(() => registry.list({ status: 'paused' as never })).toThrow(/filter.status must be one of pending, running/);
    expect(() => registry.list({ status: ['running', 'x'] as never })).toThrow(/filter.status\[1\]/);
    expect(() => registry.list({ name: 3 as never })).toThrow(/filter.name must be a string or a RegExp, got 3/);
    expect(() => registry.list({ parentId: 3 as never })).toThrow(/filter.parentId must be a string or null/);
  });

  it('returns JSON-safe deep copies: mutating them changes nothing live', async () => {
    const registry = new OperationRegistry();
    const g = gate();
    const metadata: Record<string, unknown> = { user: { id: 7 }, when: new Date(0), big: 10n, fn: () => 1 };
    metadata.self = metadata;
    const { scope, done } = start(registry, 'snap', g.promise, { metadata });
    scope.reportProgress('half', { step: { n: 1 } });
    scope.partialResult = { rows: [1, 2] };
    const [snapshot] = registry.list();
    expect(snapshot).toMatchObject({
      id: scope.id,
      name: 'snap',
      parentId: null,
      status: 'running',
      metadata: { user: { id: 7 }, when: '1970-01-01T00:00:00.000Z', big: '10', self: '[Circular]' },
      progress: { message: 'half', metadata: { step: { n: 1 } } },
      partialResult: { rows: [1, 2] },
    });
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
    (snapshot!.metadata.user as { id: number }).id = 99;
    (snapshot!.progress!.metadata!.step as { n: number }).n = 99;
    (snapshot!.partialResult as { rows: number[] }).rows.push(3);
    snapshot!.name = 'changed';
    expect((metadata.user as { id: number }).id).toBe(7);
    expect(registry.list()[0]).toMatchObject({
      name: 'snap',
      metadata: { user: { id: 7 } },
      progress: { metadata: { step: { n: 1 } } },
      partialResult: { rows: [1, 2] },
    });
    g.open();
    await done;
    const [ended] = registry.history();
    ended!.metadata.user = 'changed';
    expect(registry.history()[0]!.metadata.user).toEqual({ id: 7 });
  });
});

describe('cancel and cancelAll', () => {
  it('cancel(id, message) cancels a live operation and says whether it found one', async () => {
    const registry = new OperationRegistry();
    const g = gate();
    const { scope, done } = start(registry, 'victim', g.promise);
    expect(registry.cancel(scope.id, 'User clicked cancel')).toBe(true);
    const error = await done;
    expect(error).toBeInstanceOf(ManualCancelation);
    expect((error as ManualCancelation).message).toBe('User clicked cancel');
    expect(registry.cancel(scope.id)).toBe(false); // ended: no longer live
    expect(registry.cancel('unknown')).toBe(false);
  });

  it('gives a default message, accepts { reason, message }, validates its input', async () => {
    const registry = new OperationRegistry();
    const g = gate();
    const a = start(registry, 'a', g.promise);
    const b = start(registry, 'b', g.promise);
    registry.cancel(a.scope.id);
    registry.cancel(b.scope.id, { reason: 'timeout', message: 'budget' });
    expect(await a.done).toMatchObject({ reason: 'manual', message: 'Cancelled through the operation registry' });
    expect(await b.done).toMatchObject({ reason: 'timeout', message: 'budget' });
    expect(() => registry.cancel(5 as never)).toThrow(/id must be a string/);
    expect(() => registry.cancel('x', 5 as never)).toThrow(/message must be a string or \{ reason\?, message\? \}/);
    expect(() => registry.cancel('x', { reason: 'nope' as never })).toThrow(/reason must be one of/);
  });

  it('cancelAll(filter) cancels the matching ones and returns how many it cancelled', async () => {
    const registry = new OperationRegistry();
    const g = gate();
    const ops = ['upload-1', 'upload-2', 'download-1'].map((name) => start(registry, name, g.promise));
    expect(registry.cancelAll({ name: 'upload' }, 'Shutting down')).toBe(2);
    expect(registry.cancelAll({ name: 'upload' })).toBe(0); // already cancelled, still ending
    for (const op of ops.slice(0, 2)) expect(await op.done).toMatchObject({ message: 'Shutting down' });
    expect(registry.list().map((c) => c.name)).toEqual(['download-1']);
    expect(registry.cancelAll()).toBe(1);
    await ops[2]!.done;
    expect(registry.cancelAll()).toBe(0);
  });

  it('cancelAll gives every selected operation its own message, children included', async () => {
    const registry = new OperationRegistry();
    let child: Promise<unknown> | undefined;
    const parent = new Cancelable({ name: 'parent', register: registry });
    const run = parent
      .run(async (p) => {
        child = new Cancelable({ name: 'child', register: registry }).run((c) => c.sleep(60_000)).catch((e: unknown) => e);
        await p.sleep(60_000);
      })
      .catch((e: unknown) => e);
    expect(registry.cancelAll(undefined, 'all stop')).toBe(2);
    expect(await child).toMatchObject({ reason: 'manual', message: 'all stop' });
    expect(await run).toMatchObject({ reason: 'manual', message: 'all stop' });
  });
});

describe('history, stats and cleanup', () => {
  it('keeps the newest entries up to the cap, oldest first; limit, status and since filter', async () => {
    const clock = steppedClock();
    const registry = new OperationRegistry({ historyLimit: 5 });
    for (let i = 0; i < 8; i++) {
      clock.advance(1_000);
      await new Cancelable({ name: `op-${i}`, register: registry, clock })
        .run(() => {
          if (i % 3 === 0) throw new Error('x');
        })
        .catch(() => undefined);
    }
    const names = (options?: Parameters<OperationRegistry['history']>[0]): string[] =>
      registry.history(options).map((c) => c.name);
    expect(names()).toEqual(['op-3', 'op-4', 'op-5', 'op-6', 'op-7']);
    expect(names({ limit: 2 })).toEqual(['op-6', 'op-7']);
    expect(names({ limit: 0 })).toEqual([]);
    expect(names({ status: 'failed' })).toEqual(['op-3', 'op-6']);
    expect(names({ status: ['failed'], limit: 1 })).toEqual(['op-6']);
    const t5 = 1_000_000 + 6 * 1_000; // op-5 ended at 1_006_000
    expect(names({ since: t5 })).toEqual(['op-5', 'op-6', 'op-7']);
    expect(names({ since: new Date(t5 + 1) })).toEqual(['op-6', 'op-7']);
    registry.historyLimit = 2;
    expect(names()).toEqual(['op-6', 'op-7']);
    expect(() => registry.history({ limit: -1 })).toThrow(RangeError);
    expect(() => registry.history({ since: 'yesterday' as never })).toThrow(/options.since/);
    expect(() => registry.history({ status: 'done' as never })).toThrow(/options.status/);
  });

  it('caps the history at 1,000 by default', async () => {
    const registry = new OperationRegistry();
    expect(registry.historyLimit).toBe(1_000);
    for (let i = 0; i < 1_005; i++) await new Cancelable({ name: `n${i}`, register: registry }).run(() => i);
    const history = registry.history();
    expect(history).toHaveLength(1_000);
    expect(history[0]!.name).toBe('n5');
    expect(history[999]!.name).toBe('n1004');
    expect(registry.stats()).toMatchObject({ started: 1_005, ended: 1_005, historySize: 1_000 });
  });

  it('stats counts by status and averages durations', async () => {
    const clock = steppedClock();
    const registry = new OperationRegistry();
    expect(registry.stats()).toEqual({
      active: 0,
      started: 0,
      ended: 0,
      byStatus: { running: 0, completed: 0, cancelled: 0, failed: 0 },
      averageDurationMs: null,
      historySize: 0,
      historyLimit: 1_000,
    });
    const g = gate();
    const live = start(registry, 'live', g.promise, { clock });
    await new Cancelable({ register: registry, clock }).run(() => clock.advance(100));
    await new Cancelable({ register: registry, clock })
      .run(() => {
        clock.advance(300);
        throw new Error('x');
      })
      .catch(() => undefined);
    const cancelled = new Cancelable({ register: registry, clock });
    await cancelled
      .run((s) => {
        clock.advance(200);
        s.cancel();
        return s.sleep(10);
      })
      .catch(() => undefined);
    expect(registry.stats()).toEqual({
      active: 1,
      started: 4,
      ended: 3,
      byStatus: { running: 1, completed: 1, cancelled: 1, failed: 1 },
      averageDurationMs: 200,
      historySize: 3,
      historyLimit: 1_000,
    });
    g.open();
    await live.done;
  });

  it('cleanup removes history entries (all, before a time, by status) and returns the counts', async () => {
    const clock = steppedClock();
    const registry = new OperationRegistry();
    const run = async (fail: boolean): Promise<void> => {
      clock.advance(1_000);
      await new Cancelable({ register: registry, clock })
        .run(() => {
          if (fail) throw new Error('x');
        })
        .catch(() => undefined);
    };
    await run(false); // ends at +1000
    await run(true); // +2000
    await run(false); // +3000
    await run(true); // +4000
    expect(registry.cleanup({ before: 1_000_000 + 2_500, status: 'failed' })).toEqual({
      removed: 1,
      completed: 0,
      cancelled: 0,
      failed: 1,
    });
    expect(registry.cleanup({ before: new Date(1_000_000 + 3_500) })).toEqual({
      removed: 2,
      completed: 2,
      cancelled: 0,
      failed: 0,
    });
    expect(registry.cleanup()).toEqual({ removed: 1, completed: 0, cancelled: 0, failed: 1 });
    expect(registry.history()).toEqual([]);
    expect(registry.stats().ended).toBe(4); // counters are kept
    expect(() => registry.cleanup({ before: 'x' as never })).toThrow(/options.before/);
    expect(() => registry.cleanup({ status: 'gone' as never })).toThrow(/options.status must be one of/);
  });
});

describe('retention', () => {
  it('keeps no reference to an ended operation (only its snapshot)', async () => {
    const { expectCollected } = await import('../harness/leaks.js');
    const registry = new OperationRegistry();
    const off = registry.subscribe(() => undefined);
    try {
      await expectCollected(
        async () => {
          const scope = new Cancelable({ name: 'released', register: registry, metadata: { big: new Array(1_000).fill(1) } });
          await scope.run((s) => s.reportProgress('x'));
          return scope;
        },
        { label: 'ended registered scope' },
      );
      await expectCollected(
        async () => {
          const scope = new Cancelable({ name: 'cancelled', register: registry });
          const run = scope.run((s) => s.sleep(60_000)).catch(() => undefined);
          registry.cancel(scope.id);
          await run;
          // The core keeps the resolvers of the most recent run() in a module variable (bounded to
          // one run); through its rejection's stack trace that run's scope stays reachable until the
          // next run. Run one more so that only the registry could be holding the scope.
          await new Cancelable().run(() => undefined);
          return scope;
        },
        { label: 'cancelled registered scope' },
      );
    } finally {
      off();
    }
    expect(registry.history().map((c) => c.name)).toEqual(['released', 'cancelled']);
  });
});
