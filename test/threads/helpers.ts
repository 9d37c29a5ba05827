/** Helpers for the thread tests: run TypeScript fixtures in real worker threads. */
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Cancelable } from '../../src/index.js';
import type { RunInWorkerOptions } from '../../src/threads/index.js';
import { inScope } from '../harness/in-scope.js';

/** The shared entry that loads a .ts file in a worker through tsx (see test/harness/tsx-entry.mjs). */
export const TSX_ENTRY = new URL('../harness/tsx-entry.mjs', import.meta.url);

/** Absolute path of a fixture in test/threads/fixtures. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}.ts`, import.meta.url));
}

/** `scope.runInWorker` on a TypeScript fixture. */
export function runFixture<R = unknown>(scope: Cancelable, name: string, options?: RunInWorkerOptions): Promise<R> {
  return inScope(scope).runInWorker<R>(TSX_ENTRY, { ...options, argv: [fixture(name)] });
}

/** A plain worker running a fixture, with helpers to read its messages and wait for its exit. */
export interface FixtureWorker {
  readonly worker: Worker;
  readonly messages: unknown[];
  /** Resolves with the next message (or one already received and not yet taken). */
  next<T = Record<string, unknown>>(): Promise<T>;
  /** Resolves with the exit code. */
  readonly exited: Promise<number>;
}

export function startWorker(name: string, workerData: unknown): FixtureWorker {
  const worker = new Worker(TSX_ENTRY, { argv: [fixture(name)], workerData });
  const messages: unknown[] = [];
  const waiting: ((message: unknown) => void)[] = [];
  let taken = 0;
  const failures: unknown[] = [];
  worker.on('message', (message: unknown) => {
    messages.push(message);
    const waiter = waiting.shift();
    if (waiter !== undefined) {
      taken++;
      waiter(message);
    }
  });
  worker.on('error', (error) => failures.push(error));
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  return {
    worker,
    messages,
    exited,
    next<T>() {
      if (failures.length > 0) return Promise.reject(failures[0]);
      if (taken < messages.length) return Promise.resolve(messages[taken++] as T);
      return new Promise<T>((resolve, reject) => {
        waiting.push(resolve as (message: unknown) => void);
        void exited.then((code) => reject(new Error(`worker exited (code ${code}) before the next message; errors: ${String(failures)}`)));
      });
    },
  };
}

/** A SharedArrayBuffer-backed Int32Array of `length` slots. */
export function sharedInts(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * length));
}

/** Waits (yielding to the event loop) until `check()` holds; fails after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * A port to hand a worker fixture (in `workerData`, transferred) on which it reports what it saw: the
 * caller's `runInWorker` rejects at once on cancellation, so a worker's late value cannot tell.
 */
export function reportPort<T = Record<string, unknown>>(): { port: MessagePort; report: Promise<T> } {
  const { port1, port2 } = new MessageChannel();
  const report = new Promise<T>((resolve) => {
    port1.once('message', (message: T) => {
      port1.close();
      resolve(message);
    });
  });
  return { port: port2, report };
}
