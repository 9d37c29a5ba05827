import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { Cancelable, OperationRegistry, channelNames, type RegistryEvent } from '../../src/index.js';

describe('subscribe', () => {
  it('reports start, progress and end of registered operations, with snapshots', async () => {
    const registry = new OperationRegistry();
    const events: RegistryEvent[] = [];
    const off = registry.subscribe((event) => events.push(event));
    const scope = new Cancelable({ name: 'watched', register: registry });
    await scope.run((s) => {
      s.reportProgress('Step 1/2', { step: 1 });
      s.reportProgress('Step 2/2', { step: 2 });
    });
    await new Cancelable({ name: 'unregistered' }).run((s) => s.reportProgress('ignored'));
    expect(events.map((e) => [e.type, e.context.status, e.context.progress?.message ?? null])).toEqual([
      ['start', 'running', null],
      ['progress', 'running', 'Step 1/2'],
      ['progress', 'running', 'Step 2/2'],
      ['end', 'completed', 'Step 2/2'],
    ]);
    expect(events.every((e) => e.context.id === scope.id && e.context.name === 'watched')).toBe(true);
    expect(events[1]!.context.progress!.metadata).toEqual({ step: 1 });
    // A listener's copy is its own: changing it changes neither the history nor other listeners.
    events[3]!.context.name = 'mutated';
    expect(registry.history()[0]!.name).toBe('watched');
    off();
    off(); // idempotent
    await new Cancelable({ register: registry }).run(() => undefined);
    expect(events).toHaveLength(4);
  });

  it('reports end for every way an operation ends', async () => {
    const registry = new OperationRegistry();
    const ends: string[] = [];
    const off = registry.subscribe((e) => {
      if (e.type === 'end') ends.push(`${e.context.name}:${e.context.status}`);
    });
    await new Cancelable({ name: 'ok', register: registry }).run(() => 1);
    await new Cancelable({ name: 'bad', register: registry })
      .run(() => Promise.reject(new Error('x')))
      .catch(() => undefined);
    const cancelled = new Cancelable({ name: 'cut', register: registry });
    cancelled.cancel('before start');
    await cancelled.run((s) => s.sleep(10)).catch(() => undefined);
    off();
    expect(ends).toEqual(['ok:completed', 'bad:failed', 'cut:cancelled']);
  });

  it('a listener that throws or rejects is reported and never breaks the registry or the others', async () => {
    const registry = new OperationRegistry();
    const reported: { callback: string; error: unknown }[] = [];
    const onError = (message: unknown): void => {
      reported.push(message as { callback: string; error: unknown });
    };
    subscribe(channelNames.callbackError, onError);
    const seen: string[] = [];
    const offs = [
      registry.subscribe(() => {
        throw new Error('sync listener failure');
      }),
      registry.subscribe(async () => {
        await Promise.resolve();
        throw new Error('async listener failure');
      }),
      registry.subscribe((e) => seen.push(e.type)),
    ];
    try {
      const result = await new Cancelable({ name: 'robust', register: registry }).run(() => 'fine');
      expect(result).toBe('fine');
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      for (const off of offs) off();
      unsubscribe(channelNames.callbackError, onError);
    }
    expect(seen).toEqual(['start', 'end']);
    expect(registry.size).toBe(0);
    expect(registry.history()).toHaveLength(1);
    const messages = reported.map((r) => [r.callback, (r.error as Error).message]);
    expect(messages).toEqual(
      expect.arrayContaining([
        ['registry listener', 'sync listener failure'],
        ['registry listener', 'async listener failure'],
      ]),
    );
    expect(messages).toHaveLength(4); // two listeners x (start, end)
  });

  it('a listener may unsubscribe itself or others while an event is being delivered', async () => {
    const registry = new OperationRegistry();
    const calls: string[] = [];
    // eslint-disable-next-line prefer-const -- assigned after the first listener that refers to it
    let offSecond: () => void;
    const offFirst = registry.subscribe((e) => {
      calls.push(`first:${e.type}`);
      offFirst();
      offSecond();
    });
    offSecond = registry.subscribe((e) => calls.push(`second:${e.type}`));
    await new Cancelable({ register: registry }).run(() => undefined);
    // The event in flight still reaches the listeners it started with; later ones reach nobody.
    expect(calls).toEqual(['first:start', 'second:start']);
  });

  it('rejects a listener that is not a function', () => {
    expect(() => new OperationRegistry().subscribe('x' as never)).toThrow(/listener must be a function, got "x"/);
  });
});
