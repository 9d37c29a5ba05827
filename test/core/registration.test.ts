/**
 * A scope's registries (`register: true`, `register: registry`, `registry.autoRegister`): told when the
 * run starts, of each progress report and when it ends; a registry that refuses the scope at start
 * fails the run; one that throws later is reported and changes nothing. The kernel side
 * (src/core/scope/registration.ts), with the real OperationRegistry, and plain observers where a
 * registry must fail.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Cancelable, channelNames, OperationRegistry, type RegistryEvent } from '../../src/index.js';
import { listen, rejection } from './helpers.js';

let callbackErrors: ReturnType<typeof listen<{ scope: Cancelable | undefined; callback: string; error: unknown }>>;
beforeEach(() => {
  callbackErrors = listen(channelNames.callbackError);
});
afterEach(() => {
  callbackErrors.stop();
});

/** A registry's events, as `type:name` strings. */
function events(registry: OperationRegistry): { log: string[]; stop: () => void } {
  const log: string[] = [];
  const stop = registry.subscribe((event: RegistryEvent) => void log.push(`${event.type}:${event.context.name}`));
  return { log, stop };
}

/** A plain observer (what `register` accepts besides a registry) that records what it is told. */
function recorder(name: string, log: string[], fail: { started?: Error; progress?: Error; ended?: Error } = {}) {
  return {
    scopeStarted(scope: object): void {
      log.push(`${name} started ${(scope as Cancelable).name}`);
      if (fail.started !== undefined) throw fail.started;
    },
    scopeProgress(scope: object, message: string): void {
      log.push(`${name} progress ${(scope as Cancelable).name} ${message}`);
      if (fail.progress !== undefined) throw fail.progress;
    },
    scopeEnded(scope: object): void {
      log.push(`${name} ended ${(scope as Cancelable).name} ${(scope as Cancelable).status}`);
      if (fail.ended !== undefined) throw fail.ended;
    },
  };
}

describe('registration', () => {
  it('register: registry (and nothing else): started, progress, ended; listed only while running', async () => {
    const registry = new OperationRegistry();
    const seen = events(registry);
    const scope = new Cancelable({ name: 'registered', register: registry });
    await scope.run((s) => {
      expect(registry.get(s.id)).toBe(s);
      s.reportProgress('half way');
    });
    expect(registry.get(scope.id)).toBeUndefined();
    expect(seen.log).toEqual(['start:registered', 'progress:registered', 'end:registered']);
    seen.stop();
  });

  it('register: true means the default registry; no option means no registry', async () => {
    const registry = OperationRegistry.default;
    const registered = new Cancelable({ name: 'default-registered', register: true });
    const unregistered = new Cancelable({ name: 'unregistered', metadata: { x: 1 } });
    const plain = new Cancelable({ name: 'plain' });
    await registered.run(async () => {
      await unregistered.run(() => {
        expect(registry.get(unregistered.id)).toBeUndefined();
      });
      await plain.run(() => {
        expect(registry.get(plain.id)).toBeUndefined();
      });
      expect(registry.get(registered.id)).toBe(registered);
    });
    expect(registry.get(registered.id)).toBeUndefined();
  });

  it('autoRegister: every scope is registered, once even when it also names that registry', async () => {
    const told: string[] = [];
    // The real registry, counting what it is told (it would ignore a second start of the same scope).
    const registry = new (class extends OperationRegistry {
      override scopeStarted(scope: object): void {
        told.push(`started ${(scope as Cancelable).name}`);
        super.scopeStarted(scope);
      }
      override scopeEnded(scope: object): void {
        told.push(`ended ${(scope as Cancelable).name}`);
        super.scopeEnded(scope);
      }
    })();
    const seen = events(registry);
    registry.autoRegister = true;
    try {
      await new Cancelable({ name: 'auto' }).run(() => undefined);
      await new Cancelable({ name: 'both', register: registry }).run(() => undefined);
    } finally {
      registry.autoRegister = false;
    }
    await new Cancelable({ name: 'after' }).run(() => undefined);
    expect(seen.log).toEqual(['start:auto', 'end:auto', 'start:both', 'end:both']);
    expect(told).toEqual(['started auto', 'ended auto', 'started both', 'ended both']);
    seen.stop();
  });

  it('a registry that refuses the scope at start (a duplicate id): run() fails with its error, the body never runs', async () => {
    const registry = new OperationRegistry();
    const first = new Cancelable({ id: 'same-id', name: 'first', register: registry });
    let release!: () => void;
    const firstRun = first.run(() => new Promise<void>((resolve) => (release = resolve)));
    const second = new Cancelable({ id: 'same-id', name: 'second', register: registry });
    let bodyRan = false;
    const error = await rejection(second.run(() => void (bodyRan = true)));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toContain("is already used by the running operation 'first'");
    expect(bodyRan).toBe(false);
    expect(second.status).toBe('failed');
    expect(registry.get('same-id')).toBe(first);
    release();
    await firstRun;
    expect(registry.get('same-id')).toBeUndefined();
  });

  it('only the registries that accepted a refused scope are told it ended', async () => {
    const log: string[] = [];
    const registry = new OperationRegistry();
    const first = new Cancelable({ id: 'dup', name: 'first', register: registry });
    let release!: () => void;
    const firstRun = first.run(() => new Promise<void>((resolve) => (release = resolve)));
    const seen = events(registry);
    registry.autoRegister = true;
    try {
      // The given observer is told first and accepts; the automatic registry refuses the duplicate id.
      const refused = new Cancelable({ id: 'dup', name: 'refused', register: recorder('given', log) });
      expect(await rejection(refused.run(() => 'never'))).toBeInstanceOf(TypeError);
      expect(refused.status).toBe('failed');
    } finally {
      registry.autoRegister = false;
    }
    expect(log).toEqual(['given started refused', 'given ended refused failed']);
    expect(seen.log).toEqual([]);
    expect(registry.get('dup')).toBe(first);
    expect(callbackErrors.messages).toEqual([]);
    release();
    await firstRun;
    seen.stop();
  });

  it('a registry that throws on progress or at the end is reported by name; the others are still told', async () => {
    const log: string[] = [];
    const progressFailure = new Error('progress failed');
    const endFailure = new Error('end failed');
    const throwing = recorder('throwing', log, { progress: progressFailure, ended: endFailure });
    const registry = new OperationRegistry();
    const seen = events(registry);
    registry.autoRegister = true;
    try {
      const scope = new Cancelable({ name: 'watched', register: throwing });
      expect(await scope.run((s) => (s.reportProgress('step'), 'value'))).toBe('value');
      expect(scope.status).toBe('completed');
      expect(callbackErrors.messages.map((m) => [m.scope, m.callback, m.error])).toEqual([
        [scope, 'registry.scopeProgress', progressFailure],
        [scope, 'registry.scopeEnded', endFailure],
      ]);
    } finally {
      registry.autoRegister = false;
    }
    expect(log).toEqual(['throwing started watched', 'throwing progress watched step', 'throwing ended watched completed']);
    expect(seen.log).toEqual(['start:watched', 'progress:watched', 'end:watched']);
    seen.stop();
  });
});
