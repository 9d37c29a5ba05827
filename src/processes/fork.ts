import { fork as forkChild, type ChildProcess, type ForkOptions as NodeForkOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  resolveScope,
  type CancelScope,
  checkDurationOrInfinity,
  checkKnownKeys,
  describeValue,
  reviveError,
  settleOnce,
  type CancelFields,
} from '../core/index.js';
import { DEFAULT_PROCESS_GRACE_MS, ManagedChild, superviseChild } from './managed-child.js';
import { isProtocolMessage, TAG, type CancelMessage, type ResultMessage } from './protocol.js';
import { checkKillSignal, signalChild, type KillSignal } from './signals.js';
import { checkArgs, checkBoolean, withChild } from './spawn.js';

/** Options of {@link fork}: Node's `ForkOptions` plus the scope and how the child is stopped. */
export interface ForkOptions extends NodeForkOptions {
  /** The scope the child belongs to. Default: `Cancelable.current()`. */
  scope?: CancelScope;
  /**
   * Milliseconds from the cancel message to `SIGKILL` when the child is still alive. Default
   * {@link DEFAULT_PROCESS_GRACE_MS} (5 s); `Infinity` never escalates.
   */
  graceMs?: number;
  /**
   * The signal sent instead of the cancel message when the IPC channel is already closed. Default
   * `'SIGTERM'`.
   */
  killSignal?: KillSignal;
  /** Run the child as the leader of its own process group and stop the whole group (POSIX). */
  processGroup?: boolean;
}

// Node's `child_process.fork` options (passed through) and ours.
const forkOptionKeys: ReadonlySet<string> = new Set([
  'cwd',
  'env',
  'execPath',
  'execArgv',
  'silent',
  'stdio',
  'detached',
  'uid',
  'gid',
  'windowsVerbatimArguments',
  'serialization',
  'signal',
  'killSignal',
  'timeout',
  'scope',
  'graceMs',
  'processGroup',
]);

/**
 * A promise of the child's result, with the ChildProcess at `.child` (`undefined` only when the scope
 * was already cancelled: then nothing is started).
 */
export type ForkPromise<R> = Promise<R> & { readonly child: ChildProcess | undefined };

/** The error a fork rejects with when the child exits without sending a result. */
export interface ForkExitError extends Error {
  code: 'ERR_CHILD_PROCESS_NO_RESULT';
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Forks the Node module `module` tied to a scope (`options.scope`, else `Cancelable.current()`). The
 * module runs `fromParentProcess().run(fn)`; the fork resolves with `fn`'s value once the child has
 * exited.
 *
 * - Cancelling `scope` rejects at once with its cancellation error and cancels the child's scope with
 *   the same reason and message (over IPC); the child is `SIGKILL`ed if it is still alive `graceMs`
 *   later.
 * - A child whose run fails rejects the fork with the revived error (a cancellation error of the same
 *   class, or an `Error` with the child's name, message, stack and `code`).
 * - A child that exits without a result rejects with an error whose `code` is
 *   `'ERR_CHILD_PROCESS_NO_RESULT'`.
 * - If `scope` ends while the child runs, the child is cancelled (`ParentCancelation`) and `run()`
 *   settles only once it is gone.
 *
 * @example
 * ```ts
 * const total = await Cancelable.withTimeout(60_000).run(() =>
 *   fork<number>(new URL('./crunch.js', import.meta.url), ['--fast']),
 * );
 * ```
 */
export function fork<R = unknown>(module: string | URL, args?: readonly string[], options?: ForkOptions): ForkPromise<R> {
  const modulePath = checkModule(module);
  checkArgs(args);
  checkKnownKeys('options', options, forkOptionKeys);
  const graceMs =
    options?.graceMs === undefined ? DEFAULT_PROCESS_GRACE_MS : checkDurationOrInfinity('options.graceMs', options.graceMs);
  const killSignal = checkKillSignal('options.killSignal', options?.killSignal);
  const processGroup = checkBoolean('options.processGroup', options?.processGroup) ?? options?.detached === true;
  const scope = resolveScope(options?.scope, 'fork');

  if (scope.cancelError !== undefined) return withChild(Promise.reject(scope.cancelError), undefined);

  const nodeOptions: NodeForkOptions & Partial<ForkOptions> = { ...options };
  delete nodeOptions.scope;
  delete nodeOptions.graceMs;
  delete nodeOptions.processGroup;
  nodeOptions.killSignal = killSignal;
  if (processGroup && process.platform !== 'win32') nodeOptions.detached = true;

  const child = forkChild(modulePath, args ?? [], nodeOptions);
  const outcome = settleOnce<R>();
  const fail = outcome.reject;

  if (child.pid === undefined) {
    child.once('error', fail);
    return withChild(outcome.promise, child);
  }

  // A send that fails means the channel is gone: fall back to the signal.
  const sendFailed = (error: Error | null): void => {
    if (error !== null) signalChild(child, killSignal, processGroup);
  };
  const sendCancel = (init: CancelFields): void => {
    const message: CancelMessage = { [TAG]: 1, type: 'cancel', init };
    child.send(message, sendFailed);
  };
  const managed = new ManagedChild(scope, child, {
    graceMs,
    killSignal,
    group: processGroup,
    stop: (init) => {
      if (child.connected) sendCancel(init);
      else signalChild(child, killSignal, processGroup);
    },
  });

  let result: ResultMessage | undefined;
  const onMessage = (message: unknown): void => {
    if (!isProtocolMessage(message)) return;
    if (message.type === 'ready') {
      // The child listens from now on: repeat a cancel it may have missed while starting.
      const init = managed.stopInit;
      if (init !== undefined && child.connected) sendCancel(init);
    } else if (message.type === 'result') {
      result ??= message;
    }
  };
  child.on('message', onMessage);
  superviseChild(scope, managed, fail);
  child.on('error', fail);
  child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
    child.off('message', onMessage);
    if (!outcome.pending) return;
    if (result?.ok === true) outcome.resolve(result.value as R);
    else if (result !== undefined) outcome.reject(reviveError(result.error));
    else outcome.reject(noResultError(modulePath, code, signal));
  });
  return withChild(outcome.promise, child);
}

function noResultError(modulePath: string, code: number | null, signal: NodeJS.Signals | null): ForkExitError {
  const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code ?? '?'}`;
  const error = new Error(
    `forked module ${modulePath} ${how} without sending a result (does it run fromParentProcess().run()?)`,
  ) as ForkExitError;
  error.code = 'ERR_CHILD_PROCESS_NO_RESULT';
  error.exitCode = code;
  error.signal = signal;
  return error;
}

function checkModule(module: unknown): string {
  if (module instanceof URL) {
    if (module.protocol !== 'file:') throw new TypeError(`module must be a file: URL, got ${module.href}`);
    return fileURLToPath(module);
  }
  if (typeof module !== 'string' || module === '') {
    throw new TypeError(`module must be a path or a file: URL, got ${describeValue(module)}`);
  }
  return module.startsWith('file:') ? fileURLToPath(module) : module;
}
