/**
 * The child side of {@link fork}: a scope cancelled with the parent's reason and message, or when the
 * parent is gone, whose outcome is sent back as the fork's result, and a watchdog that ends the process
 * when its parent died and it did not stop by itself.
 */
import { Worker } from 'node:worker_threads';
import { Cancelable } from '../cancelable.js';
import {
  checkDurationOrInfinity,
  checkKnownKeys,
  holdScope,
  kFire,
  log,
  MultiSource,
  readCancelFields,
  scopeOptionKeys,
  serializeError,
  type CancelableOptions,
  type CancelationInit,
  type CancelScope,
  type RunOutcome,
  type SourceTarget,
} from '../core/index.js';
import { DEFAULT_PROCESS_GRACE_MS } from './managed-child.js';
import { isProtocolMessage, TAG, type ReadyMessage, type ResultMessage } from './protocol.js';

/** Options of {@link fromParentProcess}: the scope's options plus what happens when the parent dies. */
export interface FromParentProcessOptions extends CancelableOptions {
  /**
   * When the parent process dies (it cannot send a cancel any more: SIGKILL, a crash), the scope is
   * cancelled at once; if the process is still alive this many ms later (a pending interval, a
   * CPU-bound loop, a hung cleanup) it is killed. A watchdog thread does it, so it works even when the
   * event loop is blocked. Default 5,000 ms; `Infinity` (or `false`) never kills.
   */
  orphanGraceMs?: number | false;
}

const fromParentKeys: ReadonlySet<string> = new Set([...scopeOptionKeys, 'orphanGraceMs']);

/**
 * Cancels the scope when the parent process asks (its scope was cancelled or ended), with the
 * parent's reason and message, and with a `ParentCancelation` when the IPC channel closes (the parent
 * exited, was killed, or disconnected). {@link fromParentProcess} builds one for you; use it directly to
 * link another scope of the child to the parent.
 * @example
 * ```ts
 * const scope = Cancelable.withTimeout(30_000, { sources: [new ParentProcessSource()] });
 * ```
 */
export class ParentProcessSource extends MultiSource {
  readonly #ppid: number;

  constructor(options?: { name?: string }) {
    checkKnownKeys('options', options, new Set(['name']));
    super({ reason: 'parent', name: options?.name ?? 'parent-process' });
    this.#ppid = process.ppid;
  }

  protected activate(target: SourceTarget): (() => void) | undefined {
    if (reportsResult.has(this)) holdForResult(target.reportable as CancelScope | undefined);
    if (!process.connected) {
      target[kFire](this.#lostInit(), this);
      return undefined;
    }
    const onMessage = (message: unknown): void => {
      if (!isProtocolMessage(message) || message.type !== 'cancel') return;
      const init = readCancelFields(message.init);
      if (init !== undefined) target[kFire](init, this);
    };
    const onDisconnect = (): void => target[kFire](this.#lostInit(), this);
    process.on('message', onMessage);
    process.on('disconnect', onDisconnect);
    const ready: ReadyMessage = { [TAG]: 1, type: 'ready' };
    // A closed channel is reported by 'disconnect'; the callback keeps a failed send from throwing.
    process.send?.(ready, undefined, undefined, ignore);
    return () => {
      process.off('message', onMessage);
      process.off('disconnect', onDisconnect);
    };
  }

  protected deactivate(state: unknown): void {
    (state as (() => void) | undefined)?.();
  }

  #lostInit(): CancelationInit {
    return { reason: 'parent', message: `Parent process ${this.#ppid} is gone (IPC channel closed)` };
  }
}

// The sources of fromParentProcess() scopes: their scope's outcome is the fork's result.
const reportsResult = new WeakSet<ParentProcessSource>();

function ignore(): void {}

/**
 * The scope of a process started with {@link fork}: cancelled with the parent's reason and message
 * when the parent's scope is cancelled or ends, or when the parent process dies; its `run()` value (or
 * error) is sent back as the fork's result before `run()` settles. Works with `enter()` too.
 * @example
 * ```ts
 * // child.ts
 * await fromParentProcess().run(async (scope) => crunch(scope));
 * ```
 */
export function fromParentProcess(options?: FromParentProcessOptions): Cancelable {
  checkKnownKeys('options', options, fromParentKeys);
  if (typeof process.send !== 'function') {
    throw new Error(
      'fromParentProcess() needs an IPC channel to the parent process: start this module with fork() ' +
        '(or child_process.fork()), not as a standalone script',
    );
  }
  const { orphanGraceMs, ...scopeOptions } = options ?? {};
  const grace =
    orphanGraceMs === undefined ? DEFAULT_PROCESS_GRACE_MS : orphanGraceMs === false ? Infinity : checkDurationOrInfinity('options.orphanGraceMs', orphanGraceMs);
  const source = new ParentProcessSource();
  reportsResult.add(source);
  const scope = new Cancelable({ name: 'child-process', ...scopeOptions, sources: [...(scopeOptions.sources ?? []), source] });
  if (grace !== Infinity) startOrphanWatchdog(grace);
  return scope;
}

/** Holds the scope until its outcome is sent to the parent (an outcome hook on the scope's ledger). */
function holdForResult(scope: CancelScope | undefined): void {
  if (scope === undefined) return;
  const release = holdScope(scope, {
    stop: (_error, outcome) => {
      void sendResult(scope, outcome).then(() => release?.());
    },
  });
}

/** Sends the outcome and waits until it is handed to the OS (so the child may exit right after). */
function sendResult(scope: CancelScope, outcome: RunOutcome): Promise<void> {
  const message: ResultMessage = outcome.ok
    ? { [TAG]: 1, type: 'result', ok: true, value: outcome.value }
    : { [TAG]: 1, type: 'result', ok: false, error: serializeError(outcome.value) };
  return new Promise<void>((resolve) => {
    if (!process.connected || typeof process.send !== 'function') {
      resolve();
      return;
    }
    const done = (): void => resolve();
    try {
      process.send(message, undefined, undefined, done);
    } catch (error) {
      // The value cannot be serialised (a function, a cycle, a BigInt in 'json' mode...): tell the parent.
      log(scope.logger, 'warn', "cancelable: the child's result could not be sent to the parent", { operationId: scope.id, error });
      const failure: ResultMessage = {
        [TAG]: 1,
        type: 'result',
        ok: false,
        error: serializeError(new TypeError(`The result of the child process could not be sent to the parent: ${describe(error)}`)),
      };
      try {
        process.send(failure, undefined, undefined, done);
      } catch {
        resolve();
      }
    }
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

let watchdog: Worker | undefined;

/**
 * Starts (once per process) a thread that polls the parent pid and kills this process `graceMs` after
 * the parent is gone, if it is still alive then. A thread, so that it works while the event loop is
 * blocked (a CPU loop); unref'd, so that it never keeps the process alive. The parent's pid is read
 * here, not in the thread: the thread starts later, possibly after the parent died. Its delay is
 * stepped, as `setLongTimeout` does, so a grace above 2³¹−1 ms is not clamped to 1 ms.
 */
function startOrphanWatchdog(graceMs: number): void {
  if (watchdog !== undefined) return;
  const code = `
    const { workerData } = require('node:worker_threads');
    const MAX = 2147483647;
    const later = (ms, fn) => (ms > MAX ? setTimeout(later, MAX, ms - MAX, fn) : setTimeout(fn, ms));
    const timer = setInterval(() => {
      if (process.ppid === workerData.parent) return;
      clearInterval(timer);
      later(workerData.graceMs, () => process.kill(process.pid, 'SIGKILL'));
    }, ${ORPHAN_POLL_MS});`;
  watchdog = new Worker(code, {
    eval: true,
    workerData: { graceMs, parent: process.ppid },
    name: 'cancelable:orphan-watchdog',
    execArgv: [], // no loaders or --require hooks of the app: a bare thread starts fast
    env: {},
    stdout: true, // unused: no output of the thread reaches the app's stdout/stderr
    stderr: true,
  });
  watchdog.unref();
  watchdog.on('error', ignore);
}

/** How often the watchdog thread checks the parent pid. */
const ORPHAN_POLL_MS = 100;
