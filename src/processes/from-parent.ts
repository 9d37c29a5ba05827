import type { CancelationInit } from '../core/errors.js';
import { log } from '../core/diagnostics.js';
import type { Cancelable, CancelableOptions } from '../core/scope.js';
import { kFire, MultiSource, type CancelationSource, type SourceTarget } from '../core/source.js';
import { checkOptions } from '../core/validate.js';
import { isProtocolMessage, readWireInit, serializeError, TAG, type ReadyMessage, type ResultMessage } from './protocol.js';

/** Options of `Cancelable.fromParentProcess()` (besides the usual scope options). */
export interface FromParentProcessOptions {
  /** A name for the scope. Default `'child-process'`. */
  name?: string;
}

/**
 * Cancels the scope when the parent process asks (its scope was cancelled or ended), with the
 * parent's reason and message, and with a `ParentCancelation` when the IPC channel closes (the parent
 * exited, was killed, or disconnected). One instance per `fromParentProcess()` scope, which builds it
 * for you; use it directly to link another scope of the child to the parent (only the
 * `fromParentProcess()` scope's outcome is sent back as the fork's result).
 * @example
 * ```ts
 * const scope = Cancelable.withTimeout(30_000, { sources: [new ParentProcessSource()] });
 * ```
 */
export class ParentProcessSource extends MultiSource {
  readonly #ppid: number;

  constructor() {
    super({ reason: 'parent', name: 'parent-process' });
    this.#ppid = process.ppid;
  }

  protected activate(target: SourceTarget): (() => void) | undefined {
    if (!process.connected) {
      target[kFire](this.#lostInit(), this);
      return undefined;
    }
    const onMessage = (message: unknown): void => {
      if (!isProtocolMessage(message) || message.type !== 'cancel') return;
      const init = readWireInit(message.init);
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
    return {
      reason: 'parent',
      message: `Parent process ${this.#ppid} is gone (IPC channel closed)`,
    };
  }
}

function ignore(): void {}

/**
 * @internal The parts `Cancelable.fromParentProcess()` is built from: the source that links the
 * scope to the parent, the scope options, and `attach(scope)`, which makes the scope's outcome the
 * fork's result (the value `run()` resolves with, or its error), sent before `run()` settles.
 */
export function parentProcessLink(options?: CancelableOptions & FromParentProcessOptions): {
  source: CancelationSource;
  options: CancelableOptions | undefined;
  attach(scope: Cancelable): void;
} {
  checkOptions('options', options);
  if (typeof process.send !== 'function') {
    throw new Error(
      'Cancelable.fromParentProcess() needs an IPC channel to the parent process: start this module with ' +
        "scope.fork() (or child_process.fork()), not as a standalone script",
    );
  }
  return {
    source: new ParentProcessSource(),
    options: { name: 'child-process', ...options },
    attach: attachResult,
  };
}

/**
 * Sends the run's outcome to the parent. `run()` and `[Symbol.asyncDispose]()` of this one scope are
 * wrapped on the instance: the value a body returns is only visible there.
 */
function attachResult(scope: Cancelable): void {
  const run = scope.run.bind(scope);
  const dispose = scope[Symbol.asyncDispose].bind(scope);
  Object.defineProperty(scope, 'run', {
    configurable: true,
    writable: true,
    value: function runAndReport<T>(body: (scope: Cancelable) => T | PromiseLike<T>): Promise<T> {
      return run(body).then<T, never>(
        async (value) => {
          await sendResult(scope, { [TAG]: 1, type: 'result', ok: true, value });
          return value;
        },
        async (error: unknown) => {
          await sendResult(scope, { [TAG]: 1, type: 'result', ok: false, error: serializeError(error) });
          throw error;
        },
      );
    },
  });
  Object.defineProperty(scope, Symbol.asyncDispose, {
    configurable: true,
    writable: true,
    value: async function disposeAndReport(): Promise<void> {
      await dispose();
      const error = scope.cancelError;
      await sendResult(
        scope,
        scope.status === 'completed' || error === undefined
          ? { [TAG]: 1, type: 'result', ok: true, value: undefined }
          : { [TAG]: 1, type: 'result', ok: false, error: serializeError(error) },
      );
    },
  });
}

/** Sends `message` and waits until it is handed to the OS (so the child may exit right after). */
function sendResult(scope: Cancelable, message: ResultMessage): Promise<void> {
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
      log(scope.logger, 'warn', "cancelable: the child's result could not be sent to the parent", {
        operationId: scope.id,
        error,
      });
      const failure: ResultMessage = {
        [TAG]: 1,
        type: 'result',
        ok: false,
        error: serializeError(
          new TypeError(`The result of the child process could not be sent to the parent: ${describe(error)}`),
        ),
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
