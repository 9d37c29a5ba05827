/**
 * SPEC §2 callbacks: order, at most once per run, async ones awaited, failures reported on
 * `cancelable:callback-error` and never changing the outcome.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Cancelable,
  CancelationToken,
  channelNames,
  TimeoutSource,
  TokenSource,
  type OperationContext,
} from '../../src/index.js';
import { listen, rejection } from './helpers.js';
import { flush, ManualClock } from './manual-clock.js';

let callbackErrors: ReturnType<typeof listen<{ scope: Cancelable | undefined; callback: string; error: unknown }>>;
beforeEach(() => {
  callbackErrors = listen(channelNames.callbackError);
});
afterEach(() => {
  callbackErrors.stop();
});

function recorder(scope: Cancelable, log: string[]): Cancelable {
  return scope
    .onStart((ctx) => void log.push(`start:${ctx.status}`))
    .onProgress((_id, message) => void log.push(`progress:${message}`))
    .onComplete((ctx) => void log.push(`complete:${ctx.status}`))
    .onCancel((ctx) => void log.push(`cancel:${ctx.status}`))
    .onError((ctx, error) => void log.push(`error:${ctx.status}:${(error as Error).message}`));
}

describe('order', () => {
  it('start before the body; complete after the status is final; run() settles last', async () => {
    const log: string[] = [];
    const scope = recorder(new Cancelable(), log);
    const value = await scope.run((s) => {
      log.push('body');
      s.reportProgress('half way');
      return 'v';
    });
    log.push('settled');
    expect(value).toBe('v');
    expect(log).toEqual(['start:running', 'body', 'progress:half way', 'complete:completed', 'settled']);
  });

  it('cancelled: onCancel only, with the final status', async () => {
    const log: string[] = [];
    const scope = recorder(new Cancelable(), log);
    await rejection(
      scope.run(async (s) => {
        s.cancel();
        await s.sleep(1);
      }),
    );
    log.push('settled');
    expect(log).toEqual(['start:running', 'cancel:cancelled', 'settled']);
  });

  it('failed: onError(ctx, error) only', async () => {
    const log: string[] = [];
    const scope = recorder(new Cancelable(), log);
    await rejection(scope.run(() => Promise.reject(new Error('bad'))));
    expect(log).toEqual(['start:running', 'error:failed:bad']);
  });

  it('several callbacks of a kind run in registration order; each registration is chainable', () => {
    const scope = new Cancelable();
    const log: number[] = [];
    expect(scope.onComplete(() => void log.push(1))).toBe(scope);
    expect(scope.onStart(() => undefined)).toBe(scope);
    expect(scope.onCancel(() => undefined)).toBe(scope);
    expect(scope.onError(() => undefined)).toBe(scope);
    expect(scope.onProgress(() => undefined)).toBe(scope);
    scope.onComplete(() => void log.push(2)).onComplete(() => void log.push(3));
    return scope.run(() => undefined).then(() => expect(log).toEqual([1, 2, 3]));
  });

  it('callbacks receive a JSON-serialisable snapshot of the context', async () => {
    const contexts: OperationContext[] = [];
    const scope = new Cancelable({ name: 'snap', metadata: { job: 7 } });
    scope.onStart((ctx) => void contexts.push(ctx)).onComplete((ctx) => void contexts.push(ctx));
    await scope.run(() => undefined);
    expect(contexts.map((c) => c.status)).toEqual(['running', 'completed']);
    expect(contexts[1]).toEqual(JSON.parse(JSON.stringify(contexts[1])));
    expect(contexts[1]!.endTime).not.toBeNull();
  });
});

describe('at most once per run', () => {
  it('onCancel fires once whatever the number of triggers', async () => {
    const clock = new ManualClock();
    const token = new CancelationToken();
    const seen: string[] = [];
    const target = new Cancelable({ clock, sources: [new TokenSource(token), new TimeoutSource(10)] });
    target.onCancel(() => void seen.push('cancel'));
    const run = rejection(
      target.run(async (s) => {
        s.cancel('one');
        s.cancel('two');
        token.cancelSync('three');
        await s.sleep(100).catch(() => undefined);
        s.cancel('four');
        s.throwIfCancelled();
      }),
    );
    await clock.tick(10);
    await run;
    target.cancel('after');
    await flush();
    expect(seen).toEqual(['cancel']);
  });

  it('a scope runs once: no second start, so no second round of callbacks', async () => {
    const log: string[] = [];
    const scope = recorder(new Cancelable(), log);
    await scope.run(() => undefined);
    expect(() => scope.run(() => undefined)).toThrow(TypeError);
    expect(log).toEqual(['start:running', 'complete:completed']);
  });
});

describe('async callbacks are awaited', () => {
  it('an async onStart finishes before the body starts', async () => {
    const clock = new ManualClock();
    const log: string[] = [];
    const scope = new Cancelable({ clock });
    scope.onStart(async () => {
      await new Promise((resolve) => clock.setTimeout(resolve, 50, undefined));
      log.push('onStart done');
    });
    const run = scope.run(() => void log.push('body'));
    await clock.tick(49);
    expect(log).toEqual([]);
    await clock.tick(1);
    await run;
    expect(log).toEqual(['onStart done', 'body']);
  });

  it.each(['complete', 'cancel', 'error'] as const)('an async on%s finishes before run() settles', async (kind) => {
    const clock = new ManualClock();
    const log: string[] = [];
    const scope = new Cancelable({ clock });
    const slow = async (): Promise<void> => {
      await new Promise((resolve) => clock.setTimeout(resolve, 30, undefined));
      log.push(`${kind} callback done`);
    };
    if (kind === 'complete') scope.onComplete(slow);
    if (kind === 'cancel') scope.onCancel(slow);
    if (kind === 'error') scope.onError(slow);
    const run = scope
      .run(async (s) => {
        if (kind === 'cancel') s.cancel();
        s.throwIfCancelled();
        if (kind === 'error') throw new Error('x');
      })
      .then(
        () => log.push('settled'),
        () => log.push('settled'),
      );
    await clock.tick(29);
    expect(log).toEqual([]);
    expect(scope.status).not.toBe('running'); // the status is already final while callbacks run
    await clock.tick(1);
    await run;
    expect(log).toEqual([`${kind} callback done`, 'settled']);
  });
});

describe('failing callbacks', () => {
  it('are reported on cancelable:callback-error, never change the outcome, never stop the others', async () => {
    const scope = new Cancelable({ name: 'robust' });
    const log: string[] = [];
    const startBoom = new Error('start boom');
    const completeBoom = new Error('complete boom (async)');
    const progressBoom = new Error('progress boom');
    scope
      .onStart(() => {
        throw startBoom;
      })
      .onStart(() => void log.push('second onStart'))
      .onProgress(() => {
        throw progressBoom;
      })
      .onProgress(() => void log.push('second onProgress'))
      .onComplete(() => Promise.reject(completeBoom))
      .onComplete(() => void log.push('second onComplete'));
    const value = await scope.run((s) => {
      s.reportProgress('p');
      return 'still fine';
    });
    expect(value).toBe('still fine');
    expect(scope.status).toBe('completed');
    expect(log).toEqual(['second onStart', 'second onProgress', 'second onComplete']);
    expect(callbackErrors.messages.map((m) => [m.scope, m.callback, m.error])).toEqual([
      [scope, 'onStart', startBoom],
      [scope, 'onProgress', progressBoom],
      [scope, 'onComplete', completeBoom],
    ]);
  });

  it('a throwing onCancel or onError does not change the rejection', async () => {
    const cancelled = new Cancelable().onCancel(() => {
      throw new Error('onCancel boom');
    });
    const error = await rejection(
      cancelled.run(async (s) => {
        s.cancel();
        await s.sleep(1);
      }),
    );
    expect(error).toBe(cancelled.cancelError);
    const original = new Error('original');
    const failed = new Cancelable().onError(async () => {
      await Promise.resolve();
      throw new Error('onError boom');
    });
    expect(await rejection(failed.run(() => Promise.reject(original)))).toBe(original);
    expect(failed.status).toBe('failed');
    expect(callbackErrors.messages.map((m) => m.callback)).toEqual(['onCancel', 'onError']);
  });

  it('an async onProgress rejection is reported too', async () => {
    const boom = new Error('async progress');
    const scope = new Cancelable().onProgress(async () => {
      await Promise.resolve();
      throw boom;
    });
    await scope.run((s) => s.reportProgress('tick'));
    await flush();
    expect(callbackErrors.messages.map((m) => [m.callback, m.error])).toEqual([['onProgress', boom]]);
  });
});

describe('progress', () => {
  it('onProgress(operationId, message, metadata); the last report is on the context', async () => {
    const clock = new ManualClock();
    const calls: unknown[][] = [];
    const scope = new Cancelable({ clock, id: 'op-42' }).onProgress((...args) => void calls.push(args));
    await scope.run((s) => {
      s.reportProgress('Step 1/2');
      clock.advance(5);
      s.reportProgress('Step 2/2', { step: 2 });
    });
    expect(calls).toEqual([
      ['op-42', 'Step 1/2', undefined],
      ['op-42', 'Step 2/2', { step: 2 }],
    ]);
    expect(scope.context.progress).toEqual({ message: 'Step 2/2', metadata: { step: 2 }, at: clock.now() });
  });

  it('is published on cancelable:progress', async () => {
    const progress = listen<{ scope: Cancelable; message: string }>(channelNames.progress);
    try {
      const scope = new Cancelable();
      await scope.run((s) => s.reportProgress('hello'));
      expect(progress.messages.map((m) => [m.scope, m.message])).toEqual([[scope, 'hello']]);
    } finally {
      progress.stop();
    }
  });
});

describe('end callbacks: arguments and additions during a run', () => {
  it('onComplete gets the context only; a callback added while they run waits for no run', async () => {
    const calls: unknown[][] = [];
    const scope = new Cancelable();
    scope.onComplete((...args: unknown[]) => {
      calls.push(args);
      scope.onComplete(() => void calls.push(['added']));
    });
    await scope.run(() => 'value');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(1);
  });
});
