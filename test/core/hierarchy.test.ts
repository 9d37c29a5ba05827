/**
 * SPEC §5 hierarchy: implicit, explicit and detached parents; propagation with ParentCancelation;
 * a parent that ends ends its children and waits for them; big fan-outs and deep chains.
 */
import { describe, expect, it } from 'vitest';
import {
  Cancelable,
  CancelationToken,
  ParentCancelation,
  TimeoutCancelation,
  TokenSource,
  type CancelationError,
} from '../../src/index.js';
import { holdScope } from '../../src/core/index.js';
import { atScale, rejection, track } from './helpers.js';
import { flush, ManualClock } from './manual-clock.js';

const never = (): Promise<never> => new Promise<never>(() => {});

describe('who is the parent', () => {
  it('a scope started while another runs in the same async context is its child', async () => {
    const parent = new Cancelable({ name: 'parent' });
    await parent.run(async () => {
      await Promise.resolve();
      const child = new Cancelable({ name: 'child' });
      await child.run(async () => {
        expect(Cancelable.current()).toBe(child);
        await Promise.resolve();
        expect(Cancelable.current()).toBe(child);
      });
      expect(child.parent).toBe(parent);
      expect(child.context.parentId).toBe(parent.id);
      expect(Cancelable.current()).toBe(parent);
    });
    expect(Cancelable.current()).toBeUndefined();
    expect(parent.parent).toBeUndefined();
    expect(parent.context.parentId).toBeNull();
  });

  it('the parent is decided at start, not at construction', async () => {
    const child = new Cancelable({ name: 'child' });
    const parent = new Cancelable({ name: 'parent' });
    expect(child.parent).toBeUndefined();
    await parent.run(() => child.run(() => undefined));
    expect(child.parent).toBe(parent);
  });

  it('an explicit parent wins over the async context', async () => {
    const explicit = new Cancelable({ name: 'explicit' });
    const ambient = new Cancelable({ name: 'ambient' });
    const child = new Cancelable({ name: 'child', parent: explicit });
    const explicitRun = explicit.run(async (e) => {
      await ambient.run(async () => {
        const outcome = rejection(child.run((c) => c.sleep(60_000)));
        e.cancel('explicit parent cancelled');
        const error = (await outcome) as ParentCancelation;
        expect(error.parentId).toBe(explicit.id);
      });
    });
    await expect(explicitRun).resolves.toBeUndefined();
    expect(child.parent).toBe(explicit);
    expect(ambient.status).toBe('completed');
  });

  it('parent: null detaches: the outer scope cancelling does not reach it', async () => {
    const outer = new Cancelable({ name: 'outer' });
    const detached = new Cancelable({ name: 'detached', parent: null });
    let detachedRun: Promise<string> | undefined;
    await rejection(
      outer.run(async (o) => {
        detachedRun = detached.run(async (d) => {
          await d.sleep(5);
          return 'detached done';
        });
        o.cancel();
        await o.sleep(1);
      }),
    );
    await expect(detachedRun).resolves.toBe('detached done');
    expect(detached.parent).toBeUndefined();
    expect(detached.isCancelled).toBe(false);
  });
});

describe('propagation', () => {
  async function threeLevels(cancelRoot: (root: Cancelable) => void, rootOptions = {}) {
    const root = new Cancelable({ name: 'root', ...rootOptions });
    const errors: Record<string, CancelationError> = {};
    const rootRun = rejection(
      root.run(async () => {
        const child = new Cancelable({ name: 'child' });
        const childRun = child.run(async () => {
          const grandchild = new Cancelable({ name: 'grandchild' });
          errors.grandchild = (await rejection(
            grandchild.run((g) => {
              cancelRoot(root);
              return g.sleep(60_000);
            }),
          )) as CancelationError;
          throw errors.grandchild;
        });
        errors.child = (await rejection(childRun)) as CancelationError;
        throw errors.child;
      }),
    );
    errors.root = (await rootRun) as CancelationError;
    return { root, errors };
  }

  it('any cancellation of a parent cancels its running children recursively, with ParentCancelation', async () => {
    const { root, errors } = await threeLevels((r) => r.cancel({ reason: 'condition', message: 'root stop' }));
    expect(errors.root).toBe(root.cancelError);
    expect(errors.root?.reason).toBe('condition');
    const child = errors.child as ParentCancelation;
    const grandchild = errors.grandchild as ParentCancelation;
    expect(child).toBeInstanceOf(ParentCancelation);
    expect(child.parentReason).toBe('condition');
    expect(child.parentId).toBe(root.id);
    expect(child.cause).toBe(errors.root);
    expect(grandchild).toBeInstanceOf(ParentCancelation);
    expect(grandchild.parentReason).toBe('parent'); // the immediate parent's reason
    expect(grandchild.cause).toBe(child); // ... and the cause chain leads to the root
    expect(grandchild.message).toBe("Parent 'child' was cancelled: Parent 'root' was cancelled: root stop");
  });

  it('whatever the source: a timeout of the root', async () => {
    const clock = new ManualClock();
    const root = Cancelable.withTimeout(10, { clock, name: 'root' });
    let childError: unknown;
    const rootRun = rejection(
      root.run(async () => {
        childError = await rejection(new Cancelable({ clock }).run((c) => c.sleep(1_000)));
        throw childError;
      }),
    );
    clock.advance(10);
    const error = await rootRun;
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect((childError as ParentCancelation).parentReason).toBe('timeout');
    expect((childError as ParentCancelation).cause).toBe(error);
  });

  it("whatever the source: the root's token", async () => {
    const token = new CancelationToken();
    const { root, errors } = await threeLevels(() => token.cancelSync('token stop'), { sources: [new TokenSource(token)] });
    expect(errors.root).toBe(root.cancelError);
    expect(errors.root?.message).toBe('token stop');
    expect((errors.child as ParentCancelation).parentReason).toBe('manual');
    expect((errors.grandchild as ParentCancelation).cause).toBe(errors.child);
    const viaToken = Cancelable.withToken(token); // a cancelled token: starts cancelled
    let childError: unknown;
    await rejection(
      viaToken.run(async () => {
        childError = await rejection(new Cancelable().run((c) => c.sleep(1)));
        throw childError;
      }),
    );
    expect((childError as ParentCancelation).parentReason).toBe('manual');
  });

  it("a child's cancellation never touches the parent", async () => {
    const parent = new Cancelable({ name: 'parent' });
    const value = await parent.run(async (p) => {
      const child = new Cancelable({ name: 'child' });
      await rejection(
        child.run(async (c) => {
          c.cancel('only me');
          await c.sleep(1);
        }),
      );
      expect(p.isCancelled).toBe(false);
      expect(p.signal.aborted).toBe(false);
      return 'parent fine';
    });
    expect(value).toBe('parent fine');
    expect(parent.status).toBe('completed');
  });

  it('a child started under an ended parent starts cancelled', async () => {
    const ended = new Cancelable({ name: 'ended' });
    await ended.run(() => undefined);
    const error = (await rejection(new Cancelable({ parent: ended }).run((c) => c.sleep(1)))) as ParentCancelation;
    expect(error).toBeInstanceOf(ParentCancelation);
    expect(error.message).toBe('Parent operation has already ended');
    expect(error.parentReason).toBeUndefined();

    const endedCancelled = new Cancelable({ name: 'ended-cancelled' });
    endedCancelled.cancel({ reason: 'timeout' });
    await rejection(endedCancelled.run((s) => s.sleep(1)));
    const later = (await rejection(new Cancelable({ parent: endedCancelled }).run((c) => c.sleep(1)))) as ParentCancelation;
    expect(later.parentReason).toBe('timeout');
    expect(later.cause).toBe(endedCancelled.cancelError);
  });
});

describe('a parent that ends', () => {
  it('cancels the children still running and waits for them to end', async () => {
    const clock = new ManualClock();
    const parent = new Cancelable({ clock, name: 'parent' });
    const child = new Cancelable({ clock, name: 'child', graceMs: 30 });
    let childRun: Promise<unknown> | undefined;
    const order: string[] = [];
    child.onCancel(() => void order.push('child ended'));
    const parentRun = track(
      parent.run(() => {
        // Fire and forget: a child that ignores cancellation.
        childRun = rejection(child.run(() => never()));
        return 'parent body done';
      }),
    );
    void parentRun.promise.then(() => order.push('parent settled'));
    await flush();
    expect(child.isCancelled).toBe(true);
    const childError = child.cancelError as ParentCancelation;
    expect(childError).toBeInstanceOf(ParentCancelation);
    expect(childError.message).toBe('Parent operation ended');
    expect(childError.parentReason).toBeUndefined();
    expect(parent.isCancelled).toBe(false);
    expect(parentRun.settled).toBe(false);
    await clock.tick(29);
    expect(parentRun.settled).toBe(false);
    await clock.tick(1);
    await expect(parentRun.promise).resolves.toBe('parent body done');
    expect(await childRun).toBe(childError);
    expect(order).toEqual(['child ended', 'parent settled']);
    expect(parent.status).toBe('completed');
  });

  it('waits for a child whose shield is still running', async () => {
    const clock = new ManualClock();
    const parent = new Cancelable({ clock, name: 'parent' });
    let childRun: Promise<unknown> | undefined;
    let shieldDone = false;
    const parentRun = track(
      parent.run(() => {
        childRun = rejection(
          new Cancelable({ clock, name: 'child', graceMs: 0 }).run(async (c) => {
            await c.shield(async (s) => {
              await s.sleep(500);
              shieldDone = true;
            });
          }),
        );
      }),
    );
    await clock.tick(499);
    expect(parentRun.settled).toBe(false);
    await clock.tick(1);
    await parentRun.promise;
    expect(shieldDone).toBe(true);
    expect(await childRun).toBeInstanceOf(ParentCancelation);
  });

  it('a child started late, while the parent is ending, is cancelled and waited for too', async () => {
    const clock = new ManualClock();
    const parent = new Cancelable({ clock, name: 'parent' });
    let late: Cancelable | undefined;
    let lateRun: Promise<unknown> | undefined;
    const parentRun = track(
      parent.run((p) => {
        void rejection(new Cancelable({ clock, name: 'slow', graceMs: 50 }).run(() => never()));
        // Something the body set up starts work under the parent after the body returned.
        clock.setTimeout(
          () => {
            late = new Cancelable({ clock, parent: p, name: 'late', graceMs: Infinity });
            lateRun = rejection(late.run((l) => l.sleep(1_000)));
          },
          10,
          undefined,
        );
      }),
    );
    await clock.tick(10);
    expect(late?.isCancelled).toBe(true);
    expect(late?.cancelError?.message).toBe('Parent operation ended');
    await flush();
    expect(late?.status).toBe('cancelled');
    await clock.tick(40);
    await parentRun.promise;
    expect(await lateRun).toBeInstanceOf(ParentCancelation);
  });

  it('finished children are released: the parent holds no reference to them', async () => {
    const parent = new Cancelable({ name: 'long-lived' });
    const refs: WeakRef<Cancelable>[] = [];
    let release!: () => void;
    // In a helper, so that no register of the suspended parent body still points at a child.
    async function runChild(i: number): Promise<void> {
      const child = new Cancelable({ name: `child-${i}` });
      refs.push(new WeakRef(child));
      await child.run((c) => c.sleep(0));
    }
    const parentRun = parent.run(async () => {
      for (let i = 0; i < 50; i++) await runChild(i);
      await new Promise<void>((resolve) => (release = resolve));
    });
    await flush(5);
    while (refs.length < 50 || release === undefined) await flush(1);
    for (let i = 0; i < 5 && refs.some((r) => r.deref() !== undefined); i++) {
      await flush(1);
      globalThis.gc!();
    }
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
    release();
    await parentRun;
  });
});

describe('scale', () => {
  it('cancelling a parent cancels all of 100,000 running children', async () => {
    const clock = new ManualClock();
    const parent = new Cancelable({ clock, name: 'fan-out' });
    const count = atScale(100_000, 1_000);
    const children: Cancelable[] = [];
    const outcomes: Promise<unknown>[] = [];
    const parentRun = rejection(
      parent.run(async (p) => {
        for (let i = 0; i < count; i++) {
          const child = new Cancelable({ clock });
          children.push(child);
          outcomes.push(child.run((c) => c.race(never())).catch((error: unknown) => error));
        }
        p.cancel('fan-out stop');
        await p.sleep(1);
      }),
    );
    // Synchronous: every child is cancelled by the time cancel() returns.
    await parentRun;
    let cancelled = 0;
    for (const child of children) if (child.isCancelled && child.cancelError instanceof ParentCancelation) cancelled++;
    expect(cancelled).toBe(count);
    const errors = await Promise.all(outcomes);
    expect(errors.every((e) => e instanceof ParentCancelation)).toBe(true);
    expect(children.every((c) => c.status === 'cancelled')).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('cancelling the root of a 10,000-deep chain cancels every level', async () => {
    const clock = new ManualClock();
    const depth = atScale(10_000, 500);
    const scopes: Cancelable[] = [];
    let reachedLeaf!: () => void;
    const leafReached = new Promise<void>((resolve) => (reachedLeaf = resolve));
    async function level(scope: Cancelable, n: number): Promise<void> {
      scopes.push(scope);
      await Promise.resolve(); // no deep synchronous recursion: each level starts on its own turn
      if (n === depth) {
        reachedLeaf();
        await scope.race(never());
        return;
      }
      await new Cancelable({ clock, name: `level-${n + 1}` }).run((child) => level(child, n + 1));
    }
    const root = new Cancelable({ clock, name: 'level-0' });
    const rootRun = rejection(root.run((scope) => level(scope, 0)));
    await leafReached;
    expect(scopes).toHaveLength(depth + 1);
    root.cancel('cut the chain');
    expect(scopes.every((s) => s.isCancelled)).toBe(true);
    const rootError = await rootRun;
    expect(rootError).toBe(root.cancelError);
    expect(scopes.every((s) => s.status === 'cancelled')).toBe(true);
    // The leaf's cause chain leads, level by level, up to the root's error.
    let error: unknown = scopes[depth]!.cancelError;
    for (let i = depth; i > 0; i--) {
      expect(error).toBeInstanceOf(ParentCancelation);
      expect((error as ParentCancelation).parentId).toBe(scopes[i - 1]!.id);
      error = (error as Error).cause;
    }
    expect(error).toBe(rootError);
    expect(clock.pending).toBe(0);
  });

  it('a 10,000-deep chain of parents waiting for their children ends without a stack overflow', async () => {
    const clock = new ManualClock();
    const depth = atScale(10_000, 500);
    const root = new Cancelable({ clock, name: 'root' });
    const chain: Cancelable[] = [];
    const outcomes: Promise<unknown>[] = [];
    const rootRun = root.run(async (r) => {
      let parent = r;
      // Built iteratively with explicit parents; every level's body returns at once and waits for its child.
      for (let i = 0; i < depth; i++) {
        const child = new Cancelable({ clock, parent, name: `level-${i + 1}` });
        chain.push(child);
        outcomes.push(child.run((c) => (c === chain[depth - 1] ? c.sleep(1_000_000) : undefined)).catch((e: unknown) => e));
        parent = child;
      }
      await r.sleep(100);
      return 'root done';
    });
    await clock.tick(100);
    await expect(rootRun).resolves.toBe('root done');
    expect(chain.every((s) => s.status !== 'running')).toBe(true);
    expect(chain[depth - 1]!.status).toBe('cancelled');
    expect(chain[depth - 1]!.cancelError).toBeInstanceOf(ParentCancelation);
    await Promise.all(outcomes);
    expect(clock.pending).toBe(0);
  });
});

// Mutation testing (docs/reliability.md, the ledger's survivors): in the test above every level's body
// returns before its child starts, so each level ends at once and nothing nests. Here every level
// waits for its child and the leaf for a hold: releasing it completes each parent in turn, in one
// synchronous cascade. The ledger runs those completions from one queue (runQueued); nested, they
// would take ~6 frames a level. The release is made with little stack left, so the test does not
// depend on the stack's size (a worker thread's is 4 MB, the main thread's ~1 MB).

/**
 * Calls `fn` with about `headroom` frames of `descend` left on the stack (measured just before: the
 * depth at which `descend` overflows). Returns whether `fn` ran; it may not, when the frames are
 * larger on the second descent (the JIT), so the caller retries with more headroom.
 */
function callNearStackLimit(fn: () => void, headroom: number): void {
  let deepest = 0;
  function descend(depth: number, target: number): void {
    deepest = depth;
    if (depth >= target) fn();
    else descend(depth + 1, target);
  }
  try {
    descend(0, Infinity);
  } catch {
    // RangeError: `deepest` is the deepest level reachable from here
  }
  try {
    descend(0, deepest - headroom);
  } catch {
    // overflowed on the way down: `fn` did not run
  }
}

describe('a deep chain of parents waiting for their children', () => {
  it('ends level by level from one queue, even when the last release comes with little stack left', async () => {
    const depth = 1_000;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const root = new Cancelable({ name: 'root' });
    const rootRun = root.run(() => gate);
    const chain: Cancelable[] = [];
    let parent = root;
    for (let i = 0; i < depth; i++) {
      const child = new Cancelable({ parent, name: `level-${i + 1}` });
      chain.push(child);
      void child.run(() => gate);
      parent = child;
    }
    const release = holdScope(parent, {})!;
    open();
    await flush(5);
    // Every body has returned: each level drains, waiting for its child; the leaf waits for its hold.
    expect(chain.filter((s) => s.status !== 'running')).toHaveLength(0);
    let thrown: unknown;
    let ran = false;
    for (let headroom = 1_000; !ran && headroom <= 16_000; headroom *= 2) {
      callNearStackLimit(() => {
        ran = true;
        try {
          release();
        } catch (error) {
          thrown = error;
        }
      }, headroom);
    }
    expect(ran).toBe(true);
    expect(thrown).toBeUndefined();
    expect(chain.filter((s) => s.status !== 'completed')).toHaveLength(0);
    expect(root.status).toBe('completed');
    await rootRun;
  });
});

describe('Cancelable.current()', () => {
  it('is undefined outside any scope, and skips scopes that ended', async () => {
    expect(Cancelable.current()).toBeUndefined();
    const parent = new Cancelable({ name: 'parent' });
    let lingering: (() => Cancelable | undefined) | undefined;
    let release!: () => void;
    const parentRun = parent.run(async () => {
      await new Cancelable({ name: 'child' }).run(() => {
        // A continuation created in the child's context, run after the child ended.
        lingering = () => Cancelable.current();
      });
      const fromChildContext = await new Promise<Cancelable | undefined>((resolve) => {
        void new Cancelable({ name: 'child-2' }).run(async () => {
          await Promise.resolve();
          setImmediate(() => resolve(Cancelable.current()));
        });
      });
      expect(fromChildContext).toBe(parent); // child-2 ended: its running parent is current
      await new Promise<void>((resolve) => (release = resolve));
    });
    while (release === undefined) await flush(1);
    expect(lingering?.()).toBeUndefined(); // called from the test's context
    release();
    await parentRun;
  });
});

// Mutation testing (docs/reliability.md): what a hold sees when its scope ends.
describe('holds (workers, processes, outcome hooks) at the end of a run', () => {
  it('are asked to stop with the run outcome, and the scope settles once they release', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock });
    const seen: unknown[] = [];
    let release: (() => void) | undefined;
    const run = track(
      scope.run(() => {
        release = holdScope(scope, { stop: (error, outcome) => void seen.push(error, outcome) });
        return 'value';
      }),
    );
    await flush();
    expect(seen).toEqual([undefined, { status: 'completed', ok: true, value: 'value' }]);
    expect(run.settled).toBe(false);
    release!();
    await expect(run.promise).resolves.toBe('value');
  });

  it('are told of the cancellation; a hold without a cancelled hook is skipped', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock });
    const seen: unknown[] = [];
    const releases: ((() => void) | undefined)[] = [];
    const run = rejection(
      scope.run(async (s) => {
        releases.push(holdScope(s, { stop: () => releases.forEach((release) => release?.()) }));
        releases.push(holdScope(s, { cancelled: (error) => void seen.push(error) }));
        await s.sleep(10);
      }),
    );
    await flush();
    expect(scope.cancel()).toBe(true);
    expect(seen).toEqual([scope.cancelError]);
    expect(await run).toBe(scope.cancelError);
  });
});

describe('the ledger while the scope drains or after it ended', () => {
  it('no hold on an ended scope', async () => {
    const scope = new Cancelable();
    await scope.run(() => undefined);
    expect(holdScope(scope, { stop: () => undefined })).toBeUndefined();
  });

  it('a hold added while the scope drains is asked to stop at once (one without stop is kept)', async () => {
    const scope = new Cancelable();
    const stops: unknown[] = [];
    const releases: ((() => void) | undefined)[] = [];
    await scope.run((s) => {
      releases.push(
        holdScope(s, {
          stop: () => {
            releases.push(holdScope(s, {})); // no stop hook
            releases.push(holdScope(s, { stop: (_error, outcome) => void stops.push(outcome) }));
            for (const release of releases) release?.();
          },
        }),
      );
      return 'v';
    });
    expect(stops).toEqual([{ status: 'completed', ok: true, value: 'v' }]);
  });

  it('a child started while its cancelled parent drains gets the parent cancellation, with its cause', async () => {
    const parent = new Cancelable({ name: 'p' });
    let child: Cancelable | undefined;
    let childRun: Promise<unknown> | undefined;
    const run = rejection(
      parent.run(async (p) => {
        const release = holdScope(p, {
          stop: () => {
            child = new Cancelable({ parent: p, name: 'late' });
            childRun = child.run(() => undefined);
            release?.();
          },
        });
        p.cancel('stop');
        p.throwIfCancelled();
      }),
    );
    expect(await run).toBe(parent.cancelError);
    await childRun;
    expect(child!.cancelError).toBeInstanceOf(ParentCancelation);
    expect(child!.cancelError!.cause).toBe(parent.cancelError);
    expect(child!.cancelError!.message).toBe("Parent 'p' was cancelled: stop");
  });
});

// Mutation testing (docs/reliability.md): what the cancellation tree skips, and what it leaves as it was.
describe('the cancellation tree', () => {
  it('a completed child whose onComplete still runs is not cancelled by its parent', async () => {
    const clock = new ManualClock();
    const parent = new Cancelable({ clock, name: 'parent' });
    let child!: Cancelable;
    let finishCallback!: () => void;
    let childRun!: Promise<unknown>;
    const parentRun = parent.run(async (p) => {
        child = new Cancelable({ clock, name: 'child' }).onComplete(() => new Promise<void>((resolve) => (finishCallback = resolve)));
        childRun = child.run(() => 'done');
        await flush();
        expect(child.status).toBe('completed');
        expect(p.cancel()).toBe(true); // a parent with a child still in its ledger
        expect(child.isCancelled).toBe(false);
        finishCallback();
        await childRun;
      });
    await parentRun; // a value is always a completion
    expect(child.isCancelled).toBe(false);
    expect(child.status).toBe('completed');
  });

  it('a parent that ends while its completed child runs onComplete leaves the child uncancelled', async () => {
    const clock = new ManualClock();
    const parent = new Cancelable({ clock });
    let child!: Cancelable;
    let finishCallback!: () => void;
    const parentRun = track(
      parent.run(async () => {
        child = new Cancelable({ clock }).onComplete(() => new Promise<void>((resolve) => (finishCallback = resolve)));
        void child.run(() => 'done');
        await flush();
        return 'parent done';
      }),
    );
    await flush();
    expect(parentRun.settled).toBe(false); // draining: waits for the child's callback
    expect(child.isCancelled).toBe(false);
    finishCallback();
    await expect(parentRun.promise).resolves.toBe('parent done');
    expect(child.status).toBe('completed');
  });

  it('a scope cancelled before it starts keeps its own error when it starts under a cancelled parent', async () => {
    const clock = new ManualClock();
    const parent = new Cancelable({ clock });
    const parentRun = rejection(
      parent.run(async (p) => {
        p.cancel('parent stop');
        const child = new Cancelable({ clock });
        child.cancel('own stop');
        const own = child.cancelError;
        expect(await rejection(child.run(() => undefined))).toBe(own);
        expect(child.cancelError).toBe(own);
        expect(own).not.toBeInstanceOf(ParentCancelation);
      }),
    );
    await parentRun;
  });

  it('leaves Error.stackTraceLimit as it was after building the children\'s errors', async () => {
    const clock = new ManualClock();
    const before = Error.stackTraceLimit;
    Error.stackTraceLimit = 17;
    const parent = new Cancelable({ clock });
    const run = parent.run(async (p) => {
        const children = [1, 2].map(() => new Cancelable({ clock }).run((c) => c.sleep(10)).catch(() => undefined));
        await flush();
        p.cancel();
        await Promise.all(children);
      });
    await run;
    const after = Error.stackTraceLimit;
    Error.stackTraceLimit = before;
    expect(after).toBe(17);
  });
});
