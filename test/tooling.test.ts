/**
 * Proves the test tooling itself: the leak checker sees leaked timers, listeners and
 * child processes, the GC helpers tell retention from release, standard decorators and
 * `await using` are transformed, and (after `npm run build`) the package layout is sound.
 */
import { fork, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it, vi } from 'vitest';
import {
  assertNoLeaks,
  expectCollected,
  expectRetained,
  findLeaks,
  forceGC,
  isCollected,
  snapshotResources,
  TSX_ENTRY,
} from './harness/leaks.js';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('leak checker', () => {
  it('starts clean', async () => {
    await assertNoLeaks(snapshotResources());
  });

  it('detects a leaked timer, and passes once it is cleared', async () => {
    const baseline = snapshotResources();
    const timer = setTimeout(() => {}, 60_000);
    try {
      await expect(assertNoLeaks(baseline, { settleTurns: 2 })).rejects.toThrow(/Timeout: \d+ \(baseline \d+, \+1\)/);
    } finally {
      clearTimeout(timer);
    }
    await assertNoLeaks(baseline);
  });

  it('detects a leaked setInterval and setImmediate', async () => {
    const baseline = snapshotResources();
    const interval = setInterval(() => {}, 60_000);
    expect(findLeaks(baseline).map((l) => l.name)).toContain('Timeout');
    clearInterval(interval);
    const immediate = setImmediate(() => {});
    expect(findLeaks(baseline).map((l) => l.name)).toContain('Immediate');
    clearImmediate(immediate);
    await assertNoLeaks(baseline);
  });

  it('detects a leaked SIGUSR2 listener, and passes once it is removed', async () => {
    const baseline = snapshotResources();
    const onSignal = (): void => {};
    process.on('SIGUSR2', onSignal);
    try {
      await expect(assertNoLeaks(baseline)).rejects.toThrow(/process listener 'SIGUSR2'/);
    } finally {
      process.off('SIGUSR2', onSignal);
    }
    await assertNoLeaks(baseline);
  });

  it('detects leaked exit/beforeExit/message listeners', async () => {
    const baseline = snapshotResources();
    const noop = (): void => {};
    for (const event of ['exit', 'beforeExit', 'message', 'SIGINT', 'SIGTERM'] as const) process.on(event, noop);
    const names = findLeaks(baseline).map((l) => l.name);
    for (const event of ['exit', 'beforeExit', 'message', 'SIGINT', 'SIGTERM'] as const) process.off(event, noop);
    expect(names).toEqual(expect.arrayContaining(['exit', 'beforeExit', 'message', 'SIGINT', 'SIGTERM']));
    await assertNoLeaks(baseline);
  });

  it('detects a running child process until it has exited', async () => {
    const baseline = snapshotResources();
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await expect(assertNoLeaks(baseline)).rejects.toThrow(/child processes: 1/);
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((resolve) => child.once('exit', resolve));
    await assertNoLeaks(baseline, { settleMs: 500 });
  });

  it('detects a running worker thread until it has exited', async () => {
    const baseline = snapshotResources();
    const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
    await new Promise((resolve) => worker.once('online', resolve));
    try {
      await expect(assertNoLeaks(baseline)).rejects.toThrow(/worker threads: 1/);
    } finally {
      await worker.terminate();
    }
    await assertNoLeaks(baseline, { settleMs: 500 });
  });

  it('keeps working while fake timers are installed', async () => {
    const baseline = snapshotResources();
    vi.useFakeTimers();
    try {
      setTimeout(() => {}, 1000); // fake: no real handle, nothing leaks
      await assertNoLeaks(baseline, { settleTurns: 3, settleMs: 20 });
      vi.runAllTimers();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('GC helpers', () => {
  const retained: object[] = [];

  it('global.gc is exposed to the forks', () => {
    expect(typeof globalThis.gc).toBe('function');
  });

  it('expectCollected passes for a released object', async () => {
    await expectCollected(() => ({ big: new Array<number>(1000).fill(1) }));
    await expectCollected(async () => {
      await Promise.resolve();
      return { async: true };
    });
  });

  it('expectCollected fails for a retained object', async () => {
    await expect(
      expectCollected(
        () => {
          const obj = { retained: true };
          retained.push(obj);
          return obj;
        },
        { attempts: 3, label: 'retained object' },
      ),
    ).rejects.toThrow(/retained object was not garbage-collected/);
    await expectRetained(() => retained[0]!, { attempts: 2 });
  });

  it('releases once the last strong reference is dropped (listener on a long-lived target)', async () => {
    const longLived = new EventTarget();
    const listeners: Array<() => void> = [];
    const leaky = await isCollected(() => {
      const obj = { n: 1 };
      const onEvent = (): void => void obj.n;
      longLived.addEventListener('x', onEvent);
      listeners.push(onEvent);
      return obj;
    }, { attempts: 3 });
    expect(leaky).toBe(false);
    for (const l of listeners) longLived.removeEventListener('x', l);
    listeners.length = 0;
    await forceGC();
    retained.length = 0;
  });
});

describe('TypeScript transforms', () => {
  it('supports TC39 standard method decorators', () => {
    const calls: string[] = [];
    function logged<This, A extends unknown[], R>(
      target: (this: This, ...args: A) => R,
      context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => R>,
    ) {
      return function (this: This, ...args: A): R {
        calls.push(String(context.name));
        return target.call(this, ...args);
      };
    }
    class Calc {
      @logged
      double(x: number): number {
        return x * 2;
      }
    }
    expect(new Calc().double(21)).toBe(42);
    expect(calls).toEqual(['double']);
  });

  it('supports await using with Symbol.asyncDispose', async () => {
    const log: string[] = [];
    {
      await using _resource = {
        async [Symbol.asyncDispose]() {
          await Promise.resolve();
          log.push('disposed');
        },
      };
      log.push('body');
    }
    expect(log).toEqual(['body', 'disposed']);
  });
});

describe('TypeScript fixtures in workers and child processes (TSX_ENTRY)', () => {
  const fixture = fileURLToPath(new URL('./harness/fixtures/double.ts', import.meta.url));

  it('runs a .ts worker thread', async () => {
    const worker = new Worker(TSX_ENTRY, { argv: [fixture], workerData: { n: 21 } });
    try {
      const value = await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(value).toBe(42);
    } finally {
      await worker.terminate();
    }
  });

  it('runs a .ts child process', async () => {
    const child = fork(TSX_ENTRY, [fixture, '21'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const value = await new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`child exited with ${code} before answering`)));
    });
    await exited;
    expect(value).toBe(42);
  });
});

describe.skipIf(!existsSync(`${root}dist`))('package layout (after npm run build)', () => {
  interface Conditions {
    import: { types: string; default: string };
    require: { types: string; default: string };
  }
  const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
    exports: Record<string, Conditions | string>;
    bin: Record<string, string>;
    dependencies?: Record<string, string>;
  };

  it('has zero runtime dependencies', () => {
    expect(Object.keys(pkg.dependencies ?? {})).toEqual([]);
  });

  it('every export target exists', () => {
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue;
      for (const file of [target.import.types, target.import.default, target.require.types, target.require.default]) {
        expect(existsSync(`${root}${file}`), `${subpath}: ${file}`).toBe(true);
      }
    }
  });

  it('the bin is an executable script with a hashbang', () => {
    const bin = `${root}${pkg.bin.cancelable}`;
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
    expect(statSync(bin).mode & 0o111).not.toBe(0);
  });
});
