import { fileURLToPath } from 'node:url';
import { Worker, type ResourceLimits, type TransferListItem, type WorkerOptions } from 'node:worker_threads';
import type { TimerHandle } from '../core/clock.js';
import { log } from '../core/diagnostics.js';
import type { CancelationError } from '../core/errors.js';
import { Cancelable } from '../core/scope.js';
import { checkDurationOrInfinity, checkOptionalString, checkOptions, describeValue } from '../core/validate.js';
import { MAX_TIMER_DELAY } from '../sources/timer.js';
import {
  ENVELOPE_KEY,
  PROTOCOL_VERSION,
  isResultMessage,
  reviveError,
  WorkerError,
  type WorkerEnvelope,
} from './protocol.js';
import { SharedCancelationToken } from './shared-token.js';

/** Options of `scope.runInWorker(file, options)`. */
export interface RunInWorkerOptions {
  /** Handed to the worker's function as its second argument (structured-cloned). */
  workerData?: unknown;
  /**
   * How long, after the scope is cancelled (or after the worker posted its result), the worker may
   * take to stop by itself before it is terminated. Default: the scope's `graceMs`. `Infinity` never
   * terminates it.
   */
  graceMs?: number;
  /** Objects to transfer rather than clone in `workerData` (ArrayBuffers, MessagePorts...). */
  transferList?: readonly TransferListItem[];
  /** The worker's heap and stack limits; a worker that exceeds them fails the run with a {@link WorkerError}. */
  resourceLimits?: ResourceLimits;
  /** Node options for the worker (`execArgv` of `new Worker`). */
  execArgv?: string[];
  /** Extra `process.argv` entries in the worker. */
  argv?: unknown[];
  /** The worker's `process.env` (`env` of `new Worker`). */
  env?: WorkerOptions['env'];
  /** The worker's name, shown in debuggers and thread lists. Default: the file's base name. */
  name?: string;
}

const noop = (): void => {};

/**
 * Runs `file` in a worker thread tied to `scope` (the implementation of `scope.runInWorker`). The
 * worker runs in a child scope of `scope`, so the caller's scope never settles before the worker has
 * exited. See the `runInWorker` method for the contract.
 */
export function runInWorker<R>(scope: Cancelable, file: string | URL, options?: RunInWorkerOptions): Promise<R> {
  const label = checkWorkerFile(file);
  checkOptions('options', options);
  const graceMs =
    options?.graceMs === undefined ? scope.graceMs : checkDurationOrInfinity('options.graceMs', options.graceMs);
  const transferList = options?.transferList;
  if (transferList !== undefined && !Array.isArray(transferList)) {
    throw new TypeError(`options.transferList must be an array, got ${describeValue(transferList)}`);
  }
  const resourceLimits = options?.resourceLimits;
  if (resourceLimits !== undefined && (resourceLimits === null || typeof resourceLimits !== 'object')) {
    throw new TypeError(`options.resourceLimits must be an object, got ${describeValue(resourceLimits)}`);
  }
  const execArgv = options?.execArgv;
  // Array.from: some() skips holes, which would pass as strings.
  if (execArgv !== undefined && (!Array.isArray(execArgv) || Array.from(execArgv).some((a) => typeof a !== 'string'))) {
    throw new TypeError(`options.execArgv must be an array of strings, got ${describeValue(execArgv)}`);
  }
  const argv = options?.argv;
  if (argv !== undefined && !Array.isArray(argv)) {
    throw new TypeError(`options.argv must be an array, got ${describeValue(argv)}`);
  }
  const name = checkOptionalString('options.name', options?.name);
  if (!scope.isRunning) {
    throw new TypeError(`runInWorker() needs a running scope; '${scope.name}' is ${scope.status}`);
  }
  const workerOptions: WorkerOptions = {
    name: name ?? baseName(label),
    ...(transferList !== undefined ? { transferList: transferList as TransferListItem[] } : {}),
    ...(resourceLimits !== undefined ? { resourceLimits } : {}),
    ...(execArgv !== undefined ? { execArgv } : {}),
    ...(argv !== undefined ? { argv } : {}),
    ...(options?.env !== undefined ? { env: options.env } : {}),
  };
  // A child scope: a caller that ends (or is cancelled) waits for it, so no worker outlives it. Its
  // own grace is Infinity because the body below bounds itself (terminate after graceMs).
  const child = new Cancelable({
    name: `worker:${baseName(label)}`,
    parent: scope,
    graceMs: Infinity,
    clock: scope.clock,
    ...(scope.logger !== undefined ? { logger: scope.logger } : {}),
  });
  const run = child.run(
    (c) =>
      new Promise<R>((resolve, reject) => {
        superviseWorker(scope, c, file, label, options?.workerData, workerOptions, graceMs, resolve, reject);
      }),
  );
  // The caller sees its own scope's cancellation error, not the child's ParentCancelation.
  return run.then(undefined, (error: unknown) => {
    throw scope.cancelError ?? error;
  });
}

/** Starts the worker and settles once it has exited, with its result, its error, or why it stopped. */
function superviseWorker<R>(
  scope: Cancelable,
  child: Cancelable,
  file: string | URL,
  label: string,
  data: unknown,
  workerOptions: WorkerOptions,
  graceMs: number,
  resolve: (value: R) => void,
  reject: (error: unknown) => void,
): void {
  if (child.isCancelled) {
    reject(child.cancelError);
    return;
  }
  const token = new SharedCancelationToken();
  const envelope: WorkerEnvelope = {
    [ENVELOPE_KEY]: { version: PROTOCOL_VERSION, token: token.buffer, file: label },
    data,
  };
  let worker: Worker;
  try {
    worker = new Worker(file, { ...workerOptions, workerData: envelope });
  } catch (error) {
    reject(new WorkerError(`Could not start worker '${label}': ${messageOf(error)}`, { file: label, cause: error }));
    return;
  }
  const clock = child.clock;
  let outcome: { ok: true; value: unknown } | { ok: false; error: unknown } | undefined;
  let crash: unknown;
  let hasCrash = false;
  let timer: TimerHandle;
  let deadlineArmed = false;
  let terminated = false;

  const terminate = (): void => {
    timer = undefined;
    terminated = true;
    worker.terminate().then(noop, noop);
  };
  // Terminates the worker if it has not exited `graceMs` from now (longer delays armed in steps).
  const armDeadline = (): void => {
    if (deadlineArmed) return;
    deadlineArmed = true;
    if (graceMs === Infinity) return;
    let remaining = graceMs;
    const step = (): void => {
      if (remaining <= 0) {
        terminate();
        return;
      }
      const delay = Math.min(remaining, MAX_TIMER_DELAY);
      remaining -= delay;
      timer = clock.setTimeout(step, delay, undefined);
    };
    if (remaining === 0) terminate();
    else step();
  };
  const onCancel = (error: CancelationError): void => {
    // The worker gets the caller's reason and message (the child's own error only says "parent").
    const source = scope.cancelError ?? error;
    token.cancelSync({ reason: source.reason, message: source.message });
    armDeadline();
  };
  const onMessage = (message: unknown): void => {
    if (outcome !== undefined || !isResultMessage(message)) return;
    outcome = message.ok ? { ok: true, value: message.value } : { ok: false, error: reviveError(message.error) };
    armDeadline(); // it should exit by itself now
  };
  const onError = (error: unknown): void => {
    if (outcome !== undefined) {
      log(scope.logger, 'warn', `cancelable: worker '${label}' failed after posting its result`, { error });
      return;
    }
    if (!hasCrash) {
      hasCrash = true;
      crash = error;
    }
  };
  const onExit = (code: number): void => {
    off();
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    worker.off('message', onMessage);
    worker.off('messageerror', onError);
    worker.off('error', onError);
    worker.off('exit', onExit);
    if (outcome !== undefined) {
      if (outcome.ok) resolve(outcome.value as R);
      else reject(outcome.error);
    } else if (hasCrash) {
      reject(
        new WorkerError(`Worker '${label}' crashed (exit code ${code}): ${messageOf(crash)}`, {
          file: label,
          exitCode: code,
          cause: crash,
        }),
      );
    } else if (terminated) {
      reject(
        new WorkerError(`Worker '${label}' did not stop within ${graceMs}ms of being cancelled and was terminated`, {
          file: label,
          exitCode: code,
        }),
      );
    } else {
      reject(
        new WorkerError(
          `Worker '${label}' exited with code ${code} before reporting a result (does it call workerMain()?)`,
          { file: label, exitCode: code },
        ),
      );
    }
  };
  worker.on('message', onMessage);
  worker.on('messageerror', onError);
  worker.on('error', onError);
  worker.on('exit', onExit);
  const off = child.addCancelListener(onCancel);
}

function checkWorkerFile(file: unknown): string {
  if (file instanceof URL) {
    if (file.protocol !== 'file:' && file.protocol !== 'data:') {
      throw new TypeError(`file must be a path or a file: URL, got the URL ${JSON.stringify(file.href)}`);
    }
    return file.protocol === 'file:' ? fileURLToPath(file) : file.href;
  }
  if (typeof file !== 'string') throw new TypeError(`file must be a path or a file: URL, got ${describeValue(file)}`);
  if (file === '') throw new TypeError('file must be a path or a file: URL, got an empty string');
  return file;
}

function baseName(label: string): string {
  if (label.startsWith('data:')) return 'data-url';
  const slash = Math.max(label.lastIndexOf('/'), label.lastIndexOf('\\'));
  return slash >= 0 ? label.slice(slash + 1) : label;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
