import { fileURLToPath } from 'node:url';
import { Worker, type ResourceLimits, type TransferListItem, type WorkerOptions } from 'node:worker_threads';
import {
  resolveScope,
  type CancelScope,
  checkDurationOrInfinity,
  checkKnownKeys,
  checkOptionalString,
  clearLongTimeout,
  describeValue,
  holdScope,
  log,
  noop,
  reviveError,
  setLongTimeout,
  settleOnce,
  type CancelationError,
  type SettleOnce,
  type TimerHandle,
} from '../core/index.js';
import { ENVELOPE_TYPE, isResultMessage, PROTOCOL_VERSION, WorkerError, type WorkerEnvelope } from './protocol.js';
import { SharedCancelationToken } from './shared-token.js';

/** Options of {@link runInWorker}. */
export interface RunInWorkerOptions {
  /** The scope the worker belongs to. Default: `Cancelable.current()`. */
  scope?: CancelScope;
  /** The worker's `workerData` and its function's second argument (structured-cloned). */
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

const optionKeys: ReadonlySet<string> = new Set([
  'scope',
  'workerData',
  'graceMs',
  'transferList',
  'resourceLimits',
  'execArgv',
  'argv',
  'env',
  'name',
]);

/**
 * Runs `file` in a worker thread tied to a scope (`options.scope`, else `Cancelable.current()`); the
 * file calls `workerMain(async (scope, workerData) => result)`. Resolves with that result once the
 * worker has exited.
 *
 * - Cancelling the scope rejects at once with its cancellation error and cancels the worker's scope
 *   (through shared memory: a CPU-bound loop that polls its token sees it without yielding); a worker
 *   still running `graceMs` later is terminated, in the background.
 * - The scope's `run()` settles only once the worker has exited: no worker outlives its scope.
 * - A worker that crashes, exits without a result, or is terminated rejects with a {@link WorkerError}.
 *
 * @example
 * ```ts
 * const sum = await Cancelable.withTimeout(5_000).run(() =>
 *   runInWorker<number>(new URL('./crunch.worker.js', import.meta.url), { workerData: { n: 1e9 } }),
 * );
 * ```
 */
export function runInWorker<R = unknown>(file: string | URL, options?: RunInWorkerOptions): Promise<R> {
  const label = checkWorkerFile(file);
  checkKnownKeys('options', options, optionKeys);
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
  if (argv !== undefined && !Array.isArray(argv)) throw new TypeError(`options.argv must be an array, got ${describeValue(argv)}`);
  const name = checkOptionalString('options.name', options?.name);
  const scope = resolveScope(options?.scope, 'runInWorker');
  const graceMs = options?.graceMs === undefined ? scope.graceMs : checkDurationOrInfinity('options.graceMs', options.graceMs);
  const cancelError = scope.cancelError;
  if (cancelError !== undefined) return Promise.reject(cancelError);
  const workerOptions: WorkerOptions = {
    name: name ?? baseName(label),
    workerData: options?.workerData,
    ...(transferList !== undefined ? { transferList: transferList as TransferListItem[] } : {}),
    ...(resourceLimits !== undefined ? { resourceLimits } : {}),
    ...(execArgv !== undefined ? { execArgv } : {}),
    ...(argv !== undefined ? { argv } : {}),
    ...(options?.env !== undefined ? { env: options.env } : {}),
  };
  const outcome = settleOnce<R>();
  let worker: Worker;
  const token = new SharedCancelationToken();
  try {
    worker = new Worker(file, workerOptions);
  } catch (error) {
    return Promise.reject(new WorkerError(`Could not start worker '${label}': ${messageOf(error)}`, { file: label, cause: error }));
  }
  const envelope: WorkerEnvelope = { type: ENVELOPE_TYPE, version: PROTOCOL_VERSION, token: token.buffer, file: label };
  worker.postMessage(envelope);
  new WorkerSupervisor(scope, worker, token, label, graceMs, outcome as SettleOnce<unknown>);
  return outcome.promise;
}

/**
 * One worker tied to its scope's ledger: cancels the worker's token when the scope is cancelled (and
 * rejects the caller at once), terminates it if it has not exited `graceMs` later, and releases the
 * scope when the worker has exited.
 */
class WorkerSupervisor {
  #result: { ok: true; value: unknown } | { ok: false; error: unknown } | undefined;
  #crash: { error: unknown } | undefined;
  #deadline: TimerHandle;
  #deadlineArmed = false;
  #terminated = false;
  readonly #release: (() => void) | undefined;

  constructor(
    readonly scope: CancelScope,
    readonly worker: Worker,
    readonly token: SharedCancelationToken,
    readonly label: string,
    readonly graceMs: number,
    readonly outcome: SettleOnce<unknown>,
  ) {
    worker.on('message', this.#onMessage);
    worker.on('messageerror', this.#onError);
    worker.on('error', this.#onError);
    worker.once('exit', this.#onExit);
    this.#release = holdScope(scope, {
      cancelled: (error) => this.#cancel(error),
      stop: (error) => this.#cancel(error),
    });
    if (this.#release === undefined) this.#cancel(undefined); // the scope ended meanwhile
  }

  /** The scope was cancelled, or ends while the worker runs: tell the worker, bound its exit. */
  #cancel(error: CancelationError | undefined): void {
    if (error !== undefined) {
      this.token.cancelSync({ reason: error.reason, message: error.message });
      this.outcome.reject(error); // the caller learns at once; the worker stops in the background
    } else {
      this.token.cancelSync({ reason: 'parent', message: 'Parent operation ended' });
    }
    this.#armDeadline();
  }

  /** Terminates the worker if it has not exited `graceMs` from now. */
  #armDeadline(): void {
    if (this.#deadlineArmed) return;
    this.#deadlineArmed = true;
    if (this.graceMs === Infinity) return;
    this.#deadline = setLongTimeout(this.scope.clock, terminate, this.graceMs, this);
  }

  terminate(): void {
    this.#deadline = undefined;
    this.#terminated = true;
    this.worker.terminate().then(noop, noop);
  }

  readonly #onMessage = (message: unknown): void => {
    if (this.#result !== undefined || !isResultMessage(message)) return;
    this.#result = message.ok ? { ok: true, value: message.value } : { ok: false, error: reviveError(message.error) };
    this.#armDeadline(); // it should exit by itself now
  };

  readonly #onError = (error: unknown): void => {
    if (this.#result !== undefined) {
      log(this.scope.logger, 'warn', `cancelable: worker '${this.label}' failed after posting its result`, { error });
      return;
    }
    this.#crash ??= { error };
  };

  readonly #onExit = (code: number): void => {
    const worker = this.worker;
    worker.off('message', this.#onMessage);
    worker.off('messageerror', this.#onError);
    worker.off('error', this.#onError);
    if (this.#deadline !== undefined) clearLongTimeout(this.scope.clock, this.#deadline);
    this.#deadline = undefined;
    this.#settle(code);
    this.#release?.();
  };

  #settle(code: number): void {
    const { label, outcome } = this;
    const result = this.#result;
    if (result !== undefined) {
      if (result.ok) outcome.resolve(result.value);
      else outcome.reject(result.error);
    } else if (this.#crash !== undefined) {
      const crash = this.#crash.error;
      outcome.reject(new WorkerError(`Worker '${label}' crashed (exit code ${code}): ${messageOf(crash)}`, { file: label, exitCode: code, cause: crash }));
    } else if (this.#terminated) {
      outcome.reject(
        new WorkerError(`Worker '${label}' did not stop within ${this.graceMs}ms of being cancelled and was terminated`, {
          file: label,
          exitCode: code,
        }),
      );
    } else {
      outcome.reject(
        new WorkerError(`Worker '${label}' exited with code ${code} before reporting a result (does it call workerMain()?)`, {
          file: label,
          exitCode: code,
        }),
      );
    }
  }
}

function terminate(supervisor: WorkerSupervisor): void {
  supervisor.terminate();
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
