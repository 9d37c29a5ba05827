import { spawn as spawnChild, type ChildProcess, type SpawnOptions as NodeSpawnOptions } from 'node:child_process';
import type { Readable } from 'node:stream';
import {
  resolveScope,
  type CancelScope,
  checkDurationOrInfinity,
  checkKnownKeys,
  describeValue,
  noop,
  settleOnce,
} from '../core/index.js';
import { DEFAULT_PROCESS_GRACE_MS, ManagedChild, superviseChild } from './managed-child.js';
import { checkKillSignal, signalChild, type KillSignal } from './signals.js';

/** Default cap on the output kept per stream (`maxBuffer`): 16 MiB. */
export const DEFAULT_MAX_BUFFER = 16 * 1024 * 1024;

/**
 * Options of {@link spawn}: Node's `SpawnOptions` plus the scope, how the child is stopped and how
 * its output is collected.
 */
export interface SpawnOptions extends NodeSpawnOptions {
  /** The scope the child belongs to. Default: `Cancelable.current()`. */
  scope?: CancelScope;
  /**
   * Milliseconds between `killSignal` and `SIGKILL` when the child is still alive. Default
   * {@link DEFAULT_PROCESS_GRACE_MS} (5 s); `Infinity` never escalates.
   */
  graceMs?: number;
  /** The polite signal sent on cancellation. Default `'SIGTERM'`. */
  killSignal?: KillSignal;
  /**
   * Run the child as the leader of its own process group (`detached`) and signal the whole group, so
   * its descendants are stopped too (POSIX; on Windows only the child is signalled). Default: the
   * value of `detached`.
   */
  processGroup?: boolean;
  /** Collect piped stdout/stderr into the result's strings. Default `true`. */
  collect?: boolean;
  /**
   * Most bytes collected per stream; beyond it the child is stopped and the promise rejects with an
   * error whose `code` is `'ERR_CHILD_PROCESS_STDIO_MAXBUFFER'`. Default 16 MiB; `Infinity` allowed.
   */
  maxBuffer?: number;
  /** Encoding of the collected output. Default `'utf8'`. */
  encoding?: BufferEncoding;
}

/** Node's `child_process.spawn` options, which {@link spawn} passes through. */
const nodeSpawnOptionKeys: readonly string[] = [
  'cwd',
  'env',
  'argv0',
  'stdio',
  'detached',
  'uid',
  'gid',
  'shell',
  'windowsVerbatimArguments',
  'windowsHide',
  'signal',
  'timeout',
  'killSignal',
  'serialization',
];
const spawnOptionKeys: ReadonlySet<string> = new Set([
  ...nodeSpawnOptionKeys,
  'scope',
  'graceMs',
  'processGroup',
  'collect',
  'maxBuffer',
  'encoding',
]);

/** How a spawned process ended. */
export interface SpawnResult {
  /** The exit code, or `null` when a signal ended it. */
  code: number | null;
  /** The signal that ended it, or `null`. */
  signal: NodeJS.Signals | null;
  /** The collected stdout, when it was piped and `collect` is on. */
  stdout?: string;
  /** The collected stderr, when it was piped and `collect` is on. */
  stderr?: string;
}

/**
 * A promise of the {@link SpawnResult}, with the ChildProcess at `.child` (`undefined` only when the
 * scope was already cancelled: then nothing is started).
 */
export type SpawnPromise = Promise<SpawnResult> & { readonly child: ChildProcess | undefined };

/**
 * Spawns `command` as a child process tied to a scope (`options.scope`, else `Cancelable.current()`).
 *
 * - Resolves with `{ code, signal, stdout, stderr }` when the child has exited and its stdio closed,
 *   whatever the exit code.
 * - On cancellation rejects at once with the scope's cancellation error, sends `killSignal` (to the
 *   whole group with `processGroup`), then `SIGKILL` after `graceMs`.
 * - If the scope ends while the child runs, the child is stopped the same way and `run()` settles only
 *   once it is gone.
 * - A child that cannot start (`ENOENT`...) rejects with Node's error (`code`, `path`, `spawnargs`).
 *
 * @example
 * ```ts
 * await Cancelable.withTimeout(10_000).run(async () => {
 *   const { code, stdout } = await spawn('git', ['status', '--short']);
 *   return code === 0 ? stdout : undefined;
 * });
 * ```
 */
export function spawn(command: string, args?: readonly string[], options?: SpawnOptions): SpawnPromise {
  if (typeof command !== 'string' || command === '') {
    throw new TypeError(`command must be a non-empty string, got ${describeValue(command)}`);
  }
  checkArgs(args);
  checkKnownKeys('options', options, spawnOptionKeys);
  const graceMs =
    options?.graceMs === undefined ? DEFAULT_PROCESS_GRACE_MS : checkDurationOrInfinity('options.graceMs', options.graceMs);
  const killSignal = checkKillSignal('options.killSignal', options?.killSignal);
  const maxBuffer =
    options?.maxBuffer === undefined ? DEFAULT_MAX_BUFFER : checkMaxBuffer('options.maxBuffer', options.maxBuffer);
  const processGroup = checkBoolean('options.processGroup', options?.processGroup) ?? options?.detached === true;
  const collect = checkBoolean('options.collect', options?.collect) ?? true;
  const encoding = options?.encoding === undefined ? 'utf8' : options.encoding;
  if (!Buffer.isEncoding(encoding)) throw new TypeError(`options.encoding must be a Buffer encoding, got ${describeValue(encoding)}`);
  const scope = resolveScope(options?.scope, 'spawn');

  if (scope.cancelError !== undefined) return withChild(Promise.reject(scope.cancelError), undefined);

  const nodeOptions: NodeSpawnOptions & Partial<SpawnOptions> = { ...options };
  delete nodeOptions.scope;
  delete nodeOptions.graceMs;
  delete nodeOptions.processGroup;
  delete nodeOptions.collect;
  delete nodeOptions.maxBuffer;
  delete nodeOptions.encoding;
  nodeOptions.killSignal = killSignal;
  if (processGroup && process.platform !== 'win32') nodeOptions.detached = true;

  const child = spawnChild(command, args ?? [], nodeOptions);
  const outcome = settleOnce<SpawnResult>();
  const fail = outcome.reject;

  const stdout = collect && child.stdout !== null ? new Collector(child.stdout, maxBuffer) : undefined;
  const stderr = collect && child.stderr !== null ? new Collector(child.stderr, maxBuffer) : undefined;

  if (child.pid === undefined) {
    // It did not start: 'error' follows (ENOENT, EACCES...), then 'close'. Nothing to manage.
    child.once('error', fail);
    return withChild(outcome.promise, child);
  }

  const managed = new ManagedChild(scope, child, {
    graceMs,
    killSignal,
    group: processGroup,
    stop: () => {
      signalChild(child, killSignal, processGroup);
    },
  });
  superviseChild(scope, managed, fail);
  const onOverflow = (): void => {
    const error = Object.assign(new RangeError(`${command}: output exceeded maxBuffer (${maxBuffer} bytes)`), {
      code: 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER',
    });
    fail(error);
    managed.terminate({ reason: 'manual', message: error.message });
  };
  if (stdout !== undefined) stdout.onOverflow = onOverflow;
  if (stderr !== undefined) stderr.onOverflow = onOverflow;

  // After a successful start 'error' means a failed kill: reject (once); never crash the process.
  child.on('error', fail);
  child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
    if (!outcome.pending) return;
    const result: SpawnResult = { code, signal };
    if (stdout !== undefined) result.stdout = stdout.text(encoding);
    if (stderr !== undefined) result.stderr = stderr.text(encoding);
    outcome.resolve(result);
  });
  return withChild(outcome.promise, child);
}

/** Attaches `.child` to the promise. */
export function withChild<P extends Promise<unknown>>(promise: P, child: ChildProcess | undefined): P & { readonly child: ChildProcess | undefined } {
  return Object.defineProperty(promise, 'child', { value: child, enumerable: true }) as P & {
    readonly child: ChildProcess | undefined;
  };
}

/** Gathers one output stream up to `max` bytes. */
class Collector {
  readonly #chunks: Buffer[] = [];
  #size = 0;
  readonly #max: number;
  onOverflow: (() => void) | undefined;

  constructor(stream: Readable, max: number) {
    this.#max = max;
    stream.on('data', (chunk: Buffer | string) => {
      if (this.#size > this.#max) return;
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      this.#size += buffer.length;
      if (this.#size > this.#max) {
        this.onOverflow?.();
        return;
      }
      this.#chunks.push(buffer);
    });
    // A broken pipe must not become an uncaught 'error'.
    stream.on('error', noop);
  }

  text(encoding: BufferEncoding): string {
    return Buffer.concat(this.#chunks).toString(encoding);
  }
}

export function checkArgs(args: unknown): void {
  if (args === undefined) return;
  if (!Array.isArray(args)) throw new TypeError(`args must be an array of strings, got ${describeValue(args)}`);
  Array.from(args).forEach((arg, index) => { // Array.from: a hole is checked as undefined, not skipped
    if (typeof arg !== 'string') throw new TypeError(`args[${index}] must be a string, got ${describeValue(arg)}`);
  });
}

export function checkBoolean(name: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw new TypeError(`${name} must be a boolean, got ${describeValue(value)}`);
}

function checkMaxBuffer(name: string, value: unknown): number {
  if (value === Infinity) return value;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number of bytes, got ${describeValue(value)}`);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be an integer number of bytes >= 1 (or Infinity), got ${describeValue(value)}`);
  }
  return value;
}
