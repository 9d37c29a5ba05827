/**
 * The seed page "Basic Patterns" (shared/seeds/004_*.txt), snippet by snippet, in TypeScript:
 * timeout, timeout with cleanup, manual token, thread-safe cancel, combined sources, hierarchies,
 * shields and the "common patterns". Seconds became milliseconds; time runs on a manual clock.
 * (OS-signal, condition and decorator snippets are covered with their own features.)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  Cancelable,
  CancelationToken,
  ManualCancelation,
  ParentCancelation,
  TimeoutCancelation,
  TimeoutSource,
  isCancelation,
} from '../../src/index.js';
import { rejection, track } from '../core/helpers.js';
import { ManualClock } from '../core/manual-clock.js';

describe('Timeout Cancelation', () => {
  it('Simple Timeout: with_timeout(2.0) around a 5 s sleep', async () => {
    const clock = new ManualClock();
    const printed: string[] = [];
    let cancel: Cancelable | undefined;
    const example = (async () => {
      try {
        cancel = Cancelable.withTimeout(2_000, { name: 'timeout_example', clock });
        await cancel.run(async (scope) => {
          scope.onProgress((_opId, msg) => void printed.push(`  Progress: ${msg}`));
          scope.reportProgress('Starting operation');
          await scope.sleep(5_000); // this will time out
          scope.reportProgress("This won't be reached");
        });
      } catch (error) {
        if (!isCancelation(error)) throw error;
        if (cancel) {
          printed.push(`  Operation timed out after ${((cancel.context.durationMs ?? 0) / 1_000).toFixed(2)}s`);
          printed.push(`  Final status: ${cancel.context.status}`);
          printed.push(`  Cancel reason: ${cancel.context.cancelReason ?? 'unknown'}`);
        }
      }
    })();
    await clock.tick(2_000);
    await example;
    expect(printed).toEqual([
      '  Progress: Starting operation',
      '  Operation timed out after 2.00s',
      '  Final status: cancelled',
      '  Cancel reason: timeout',
    ]);
  });

  it('Timeout with Cleanup: the cleanup runs shielded, to its end, after the timeout', async () => {
    const clock = new ManualClock();
    const log: string[] = [];
    const processData = (scope: Cancelable) => scope.sleep(60_000);
    const cleanupResources = async (shielded: Cancelable) => {
      await shielded.sleep(500); // not cancelled: the shield protects it
      log.push('resources cleaned up');
    };
    const withCleanup = track(
      Cancelable.withTimeout(10_000, { clock }).run(async (cancel) => {
        try {
          await processData(cancel);
        } finally {
          // Shield cleanup from cancelation
          await cancel.shield((shielded) => cleanupResources(shielded));
        }
      }),
    );
    await clock.tick(10_000);
    expect(log).toEqual([]);
    expect(withCleanup.settled).toBe(false);
    await clock.tick(500);
    expect(log).toEqual(['resources cleaned up']);
    expect(await rejection(withCleanup.promise)).toBeInstanceOf(TimeoutCancelation);
  });
});

describe('Manual Cancelation', () => {
  it('Basic Token Usage: a background task cancelled by a token after 2 s', async () => {
    const clock = new ManualClock();
    const printed: string[] = [];
    const token = new CancelationToken();

    async function backgroundTask(): Promise<void> {
      try {
        await Cancelable.withToken(token, { name: 'background_task', clock }).run(async (cancel) => {
          cancel.onProgress((_opId, msg) => void printed.push(`  Progress: ${msg}`));
          for (let i = 0; i < 10; i++) {
            cancel.reportProgress(`Step ${i + 1}/10`);
            await cancel.sleep(500);
          }
        });
      } catch (error) {
        if (!isCancelation(error)) throw error;
        printed.push('  Background task was cancelled!');
      }
    }

    async function controller(): Promise<void> {
      await new Promise((resolve) => clock.setTimeout(resolve, 2_000, undefined));
      printed.push('Cancelling task...');
      await token.cancel({ message: 'User requested cancelation' });
    }

    const both = Promise.all([backgroundTask(), controller()]);
    await clock.tick(2_000);
    await both;
    expect(printed).toEqual([
      '  Progress: Step 1/10',
      '  Progress: Step 2/10',
      '  Progress: Step 3/10',
      '  Progress: Step 4/10',
      'Cancelling task...',
      '  Background task was cancelled!',
    ]);
    expect(token.reason).toBe('manual');
    expect(token.message).toBe('User requested cancelation');
  });

  it('Thread-Safe Cancelation: cancelSync from synchronous code', async () => {
    const clock = new ManualClock();
    const token = new CancelationToken();
    const longAsyncOperation = (scope: Cancelable) => scope.sleep(60_000);
    const worker = rejection(Cancelable.withToken(token, { clock }).run((cancel) => longAsyncOperation(cancel)));
    // sync_canceller: a plain synchronous callback, 5 s later
    clock.setTimeout(() => token.cancelSync({ message: 'Cancelled from thread' }), 5_000, undefined);
    await clock.tick(5_000);
    const error = await worker;
    expect(error).toBeInstanceOf(ManualCancelation);
    expect((error as Error).message).toBe('Cancelled from thread');
  });
});

describe('Combined Cancelation', () => {
  it('Timeout + Manual: combined step by step, the first trigger wins', async () => {
    const clock = new ManualClock();
    const printed: string[] = [];
    const token = new CancelationToken();
    const timeoutCancellable = Cancelable.withTimeout(10_000, { clock });
    const tokenCancellable = Cancelable.withToken(token, { clock });
    const firstCombine = timeoutCancellable.combine(tokenCancellable);
    const finalCancellable = Cancelable.combine([firstCombine], { clock, name: 'final' });
    // Every combine is a new scope with its own id and token.
    const ids = [timeoutCancellable, tokenCancellable, firstCombine, finalCancellable].map((c) => c.context.id);
    expect(new Set(ids).size).toBe(4);
    expect(finalCancellable.token.id).not.toBe(timeoutCancellable.token.id);

    finalCancellable.onCancel((ctx) => void printed.push(`  Cancelled: ${ctx.cancelReason ?? 'unknown'} - ${ctx.cancelMessage ?? 'no message'}`));
    const SLEEP_DURATION = 500;
    const run = (async () => {
      try {
        await finalCancellable.run(async (scope) => {
          for (let i = 0; i < 20; i++) {
            await scope.sleep(SLEEP_DURATION);
            printed.push(`  Working... ${i + 1}/20`);
            if (i === 5) {
              // Manual cancel after 3 seconds
              printed.push('  Triggering manual cancelation...');
              await token.cancel({ message: 'Demonstration cancel' });
              printed.push('Token cancel call completed');
            }
          }
        });
      } catch (error) {
        if (!isCancelation(error)) throw error;
        printed.push('  Operation was cancelled');
        printed.push(`  Reason: ${finalCancellable.context.cancelReason ?? 'unknown'}`);
        printed.push(`  Message: ${finalCancellable.context.cancelMessage ?? 'no message'}`);
      }
    })();
    await clock.tick(3_000);
    await run;
    expect(printed).toEqual([
      ...Array.from({ length: 6 }, (_, i) => `  Working... ${i + 1}/20`),
      '  Triggering manual cancelation...',
      'Token cancel call completed',
      '  Cancelled: manual - Demonstration cancel',
      '  Operation was cancelled',
      '  Reason: manual',
      '  Message: Demonstration cancel',
    ]);
  });

  it('All Sources Combined: the first trigger from any source cancels', async () => {
    const clock = new ManualClock();
    const token = new CancelationToken();
    const upstream = new AbortController();
    const operation = (scope: Cancelable) => scope.sleep(3_600_000);
    const robust = Cancelable.combine(
      [
        new TimeoutSource(600_000), // 10 min timeout
        token, // manual
        upstream.signal, // any AbortSignal, e.g. a request's
      ],
      { name: 'robust_operation', clock },
    );
    const run = rejection(robust.run((cancel) => operation(cancel)));
    await clock.tick(599_999);
    expect(robust.isCancelled).toBe(false);
    await clock.tick(1);
    expect(await run).toBeInstanceOf(TimeoutCancelation);
    expect(robust.context.cancelReason).toBe('timeout');
    expect(token.listenerCount).toBe(0);
  });
});

describe('Hierarchical Operations', () => {
  it('Basic Hierarchy: children of a parent, one after the other', async () => {
    const clock = new ManualClock();
    const printed: string[] = [];
    const children: Cancelable[] = [];
    const parentTask = Cancelable.withTimeout(60_000, { name: 'parent', clock }).run(async (parent) => {
      printed.push('Parent started');
      await new Cancelable({ name: 'child_1', parent, clock }).run(async (child1) => {
        children.push(child1);
        printed.push('Child 1 working');
        await child1.sleep(1_000);
      });
      await new Cancelable({ name: 'child_2', parent, clock }).run(async (child2) => {
        children.push(child2);
        printed.push('Child 2 working');
        await child2.sleep(1_000);
      });
      printed.push('Parent complete');
    });
    await clock.tick(1_000);
    await clock.tick(1_000);
    await parentTask;
    expect(printed).toEqual(['Parent started', 'Child 1 working', 'Child 2 working', 'Parent complete']);
    expect(children.map((c) => [c.name, c.context.parentId, c.status])).toEqual([
      ['child_1', expect.any(String), 'completed'],
      ['child_2', expect.any(String), 'completed'],
    ]);
  });

  it('If the parent cancels, ALL children auto-cancel', async () => {
    const parent = new Cancelable({ name: 'parent' });
    const children = Array.from({ length: 3 }, (_, i) => new Cancelable({ name: `child_${i}`, parent }));
    const parentRun = rejection(
      parent.run(async (p) => {
        const runs = children.map((child) => rejection(child.run((c) => c.sleep(60_000))));
        p.cancel('stop everything');
        await Promise.all(runs);
        p.throwIfCancelled();
      }),
    );
    await parentRun;
    expect(children.map((c) => [c.status, c.context.cancelReason])).toEqual(
      children.map(() => ['cancelled', 'parent']),
    );
  });

  it('Timeout Propagation: the quick child finishes, the slow one is cancelled by the parent timeout', async () => {
    const clock = new ManualClock();
    const quickOperation = (scope: Cancelable) => scope.sleep(1_000);
    const slowOperation = (scope: Cancelable) => scope.sleep(60_000);
    let slowError: unknown;
    const parentRun = rejection(
      Cancelable.withTimeout(10_000, { name: 'parent', clock }).run(async (parent) => {
        await new Cancelable({ name: 'quick_task', parent, clock }).run((child1) => quickOperation(child1));
        try {
          await new Cancelable({ name: 'slow_task', parent, clock }).run((child2) => slowOperation(child2));
        } catch (error) {
          slowError = error;
          throw error;
        }
      }),
    );
    await clock.tick(1_000);
    await clock.tick(9_000);
    const parentError = await parentRun;
    // The parent was cancelled: it rejects with its own timeout error (SPEC §3, row 3).
    expect(parentError).toBeInstanceOf(TimeoutCancelation);
    expect(slowError).toBeInstanceOf(ParentCancelation);
    expect((slowError as ParentCancelation).parentReason).toBe('timeout');
    expect((slowError as ParentCancelation).cause).toBe(parentError);
  });
});

describe('Common Patterns', () => {
  it('API Call with Timeout: fetch with scope.signal against a server that hangs', async () => {
    const hanging: ServerResponse[] = [];
    let requested!: () => void;
    const gotRequest = new Promise<void>((resolve) => (requested = resolve));
    const server = createServer((request: IncomingMessage, response: ServerResponse) => {
      if (request.url === '/fast') {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ ok: true }));
        return;
      }
      hanging.push(response); // /slow never answers
      requested();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const clock = new ManualClock();
    async function fetchData(url: string): Promise<unknown> {
      return Cancelable.withTimeout(30_000, { name: `fetch_${url}`, clock }).run(async (cancel) => {
        const response = await fetch(url, { signal: cancel.signal });
        return response.json();
      });
    }
    try {
      await expect(fetchData(`${base}/fast`)).resolves.toEqual({ ok: true });
      const slow = rejection(fetchData(`${base}/slow`));
      await gotRequest;
      await clock.tick(30_000);
      const error = await slow;
      expect(error).toBeInstanceOf(TimeoutCancelation);
      expect((error as TimeoutCancelation).timeoutMs).toBe(30_000);
    } finally {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('Background Task with Cancel Button: a global token', async () => {
    const jobToken = new CancelationToken();
    const cancelJob = async (): Promise<{ status: string }> => {
      await jobToken.cancel('User clicked cancel');
      return { status: 'stopping' };
    };
    const processJob = (scope: Cancelable) => scope.sleep(3_600_000);
    const backgroundJob = rejection(Cancelable.withToken(jobToken).run((cancel) => processJob(cancel)));
    await expect(cancelJob()).resolves.toEqual({ status: 'stopping' });
    const error = await backgroundJob;
    expect(error).toBeInstanceOf(ManualCancelation);
    expect((error as Error).message).toBe('User clicked cancel');
  });
});
