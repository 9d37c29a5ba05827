/**
 * TC39 standard method decorators (TypeScript 5, experimentalDecorators off). Vitest transforms them
 * in this file (see test/tooling.test.ts); `tsc --noEmit` type-checks the same code.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Cancelable,
  CancelationToken,
  OperationRegistry,
  TimeoutCancelation,
  cancelable,
  cancelableWithToken,
} from '../../src/index.js';

afterEach(() => {
  vi.useRealTimers();
});

function current(): Cancelable {
  const scope = Cancelable.current();
  if (scope === undefined) throw new Error('no current scope');
  return scope;
}

describe('@cancelable on class methods', () => {
  class Importer {
    readonly prefix = 'row';
    scopes: Cancelable[] = [];

    @cancelable({ timeout: 1_000 })
    async importRows(count: number, delayMs: number): Promise<string[]> {
      const scope = current();
      this.scopes.push(scope);
      await scope.sleep(delayMs);
      return Array.from({ length: count }, (_, i) => `${this.prefix}${i}`);
    }

    @cancelable
    async bare(): Promise<string> {
      return current().name;
    }

    @cancelable({ name: 'custom-name' })
    async named(): Promise<string> {
      return current().name;
    }

    @cancelable()
    static async create(): Promise<string> {
      return current().name;
    }

    @cancelable()
    async #secret(): Promise<string> {
      return current().name;
    }

    callSecret(): Promise<string> {
      return this.#secret();
    }
  }

  it('keeps this and the arguments, runs in its own scope named ClassName.method', async () => {
    const importer = new Importer();
    await expect(importer.importRows(2, 1)).resolves.toEqual(['row0', 'row1']);
    expect(importer.scopes[0]!.name).toBe('Importer.importRows');
    expect(importer.scopes[0]!.status).toBe('completed');
  });

  it('applies the timeout to each call', async () => {
    vi.useFakeTimers();
    const importer = new Importer();
    const ok = importer.importRows(1, 500);
    const late = importer.importRows(1, 5_000);
    const caught = late.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(ok).resolves.toEqual(['row0']);
    expect(await caught).toBeInstanceOf(TimeoutCancelation);
    expect(importer.scopes.map((s) => s.status)).toEqual(['completed', 'cancelled']);
  });

  it('gives every call its own scope, across instances and concurrent calls', async () => {
    const a = new Importer();
    const b = new Importer();
    await Promise.all([a.importRows(1, 1), a.importRows(1, 1), b.importRows(1, 1)]);
    const ids = [...a.scopes, ...b.scopes].map((s) => s.id);
    expect(new Set(ids).size).toBe(3);
  });

  it('supports the bare form, an explicit name, static and private methods', async () => {
    const importer = new Importer();
    await expect(importer.bare()).resolves.toBe('Importer.bare');
    await expect(importer.named()).resolves.toBe('custom-name');
    await expect(Importer.create()).resolves.toBe('Importer.create');
    await expect(importer.callSecret()).resolves.toBe('Importer.#secret');
  });

  it('names inherited methods after the declaring class', async () => {
    class Base {
      @cancelable()
      async work(): Promise<string> {
        return current().name;
      }
    }
    class Derived extends Base {
      override async work(): Promise<string> {
        return `derived>${await super.work()}`;
      }
    }
    class Plain extends Base {}
    await expect(new Derived().work()).resolves.toBe('derived>Base.work');
    await expect(new Plain().work()).resolves.toBe('Base.work');
  });

  it('registers decorated calls under ClassName.method', async () => {
    const registry = new OperationRegistry();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    class Service {
      @cancelable({ register: registry })
      async serve(): Promise<void> {
        await current().race(gate);
      }
    }
    const running = new Service().serve();
    expect(registry.list().map((c) => c.name)).toEqual(['Service.serve']);
    release();
    await running;
    expect(registry.history().map((c) => [c.name, c.status])).toEqual([['Service.serve', 'completed']]);
  });

  it('works with the specialised wrappers too (@cancelableWithToken)', async () => {
    const token = new CancelationToken();
    class Job {
      @cancelableWithToken(token)
      async run(): Promise<void> {
        await current().sleep(60_000);
      }
    }
    const running = new Job().run();
    await token.cancel('User clicked cancel');
    await expect(running).rejects.toMatchObject({ reason: 'manual', message: 'User clicked cancel' });
  });

  it('is a child of the caller’s scope', async () => {
    class Child {
      @cancelable()
      async parentName(): Promise<string | undefined> {
        return current().parent?.name;
      }
    }
    await expect(new Cancelable({ name: 'caller' }).run(() => new Child().parentName())).resolves.toBe('caller');
  });

  it('rejects what is not a method (JavaScript callers)', () => {
    const context = { kind: 'getter', name: 'value', static: false, private: false, addInitializer() {} };
    expect(() => cancelable()(() => 1 as never, context as never)).toThrow(
      /@cancelable decorates class methods only, not a getter \('value'\)/,
    );
    const fieldContext = { ...context, kind: 'field' };
    expect(() => cancelable((() => 1) as never, fieldContext as never)).toThrow(TypeError);
    expect(() => cancelable({}, fieldContext as never)).toThrow(/must be called before it decorates/);
  });
});
