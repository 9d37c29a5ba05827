/**
 * One child process tied to a scope: how it is stopped (a polite first step, then `SIGKILL` after the
 * grace period, for the process or its whole group) and the guarantee that the scope's end never
 * leaves it running.
 */
import type { ChildProcess } from 'node:child_process';
import {
  cancelFieldsOf,
  clearLongTimeout,
  holdScope,
  log,
  setLongTimeout,
  type CancelationError,
  type CancelFields,
  type CancelScope,
  type TimerHandle,
} from '../core/index.js';
import { groupAlive, signalChild, type KillSignal } from './signals.js';

/**
 * How long a child gets between the polite stop (`killSignal`, or the IPC cancel message of a fork)
 * and `SIGKILL`, unless `graceMs` is given. Larger than a scope's default grace: processes flush
 * files, close connections and remove temp files, which takes longer than an in-process `finally`.
 */
export const DEFAULT_PROCESS_GRACE_MS = 5_000;

// While a group outlives its leader during a termination, how often to look whether it is gone.
const GROUP_POLL_MS = 50;
// After SIGKILL a group dies within milliseconds, but not synchronously: look more often, and give up
// waiting after this many looks (a process stuck in uninterruptible I/O dies when the I/O returns).
const KILLED_POLL_MS = 5;
const KILLED_MAX_POLLS = 200;

/** @internal */
export interface ManagedChildOptions {
  /** Milliseconds from the polite stop to `SIGKILL`; `Infinity`: never escalate. */
  graceMs: number;
  killSignal: KillSignal;
  /** Signal the child's whole process group (it was started detached, as a group leader). */
  group: boolean;
  /** The polite first step of a termination. */
  stop(init: CancelFields): void;
}

/** @internal A child process whose termination the scope owns. */
export class ManagedChild {
  readonly child: ChildProcess;
  /** Resolves when the process has exited, its stdio and IPC are closed, and (group) its group is gone. */
  readonly done: Promise<void>;
  readonly #scope: CancelScope;
  readonly #options: ManagedChildOptions;
  #terminating = false;
  #exited = false;
  #closed = false;
  #groupSettled: boolean;
  #settled = false;
  #killTimer: TimerHandle;
  #pollTimer: TimerHandle;
  #resolveDone: () => void = noop;
  #stopInit: CancelFields | undefined;
  #killedPolls: number | undefined;

  constructor(scope: CancelScope, child: ChildProcess, options: ManagedChildOptions) {
    this.child = child;
    this.#scope = scope;
    this.#options = options;
    this.#groupSettled = !options.group;
    this.done = new Promise<void>((resolve) => {
      this.#resolveDone = resolve;
    });
    child.once('exit', () => this.#onExit());
    child.once('close', () => this.#onClose());
  }

  /** Whether a termination was started. */
  get terminating(): boolean {
    return this.#terminating;
  }

  /** The cancellation the termination was started with. */
  get stopInit(): CancelFields | undefined {
    return this.#stopInit;
  }

  /** Whether the child (and its group) is gone and everything is released. */
  get settled(): boolean {
    return this.#settled;
  }

  /**
   * Starts stopping the child: the polite step now, `SIGKILL` after `graceMs` if it (or, for a group,
   * any member) is still alive. Idempotent. Never throws.
   */
  terminate(init: CancelFields): void {
    if (this.#terminating || this.#settled) return;
    this.#terminating = true;
    this.#stopInit = init;
    try {
      this.#options.stop(init);
    } catch (error) {
      log(this.#scope.logger, 'warn', 'cancelable: stopping a child process failed', {
        operationId: this.#scope.id,
        pid: this.child.pid,
        error,
      });
    }
    if (this.#options.graceMs !== Infinity) {
      this.#killTimer = setLongTimeout(this.#scope.clock, forceKill, this.#options.graceMs, this);
    }
    if (this.#exited) this.#leaderGone();
  }

  /** @internal The grace period is over. */
  forceKill(): void {
    this.#killTimer = undefined;
    if (this.#settled) return;
    signalChild(this.child, 'SIGKILL', this.#options.group);
    if (this.#options.group && !this.#groupSettled) {
      // SIGKILL cannot be caught: wait (briefly) until the members are really gone.
      this.#killedPolls = 0;
      if (this.#pollTimer !== undefined) this.#scope.clock.clearTimeout(this.#pollTimer);
      this.pollGroup();
    }
  }

  /** @internal Group polling tick. */
  pollGroup(): void {
    this.#pollTimer = undefined;
    if (this.#settled || this.#groupSettled) return;
    const killed = this.#killedPolls !== undefined;
    if (!groupAlive(this.child.pid as number) || (killed && ++(this.#killedPolls as number) > KILLED_MAX_POLLS)) {
      this.#groupGone();
      return;
    }
    this.#pollTimer = this.#scope.clock.setTimeout(pollGroup, killed ? KILLED_POLL_MS : GROUP_POLL_MS, this);
  }

  #onExit(): void {
    this.#exited = true;
    if (this.#terminating) this.#leaderGone();
  }

  /** The child itself exited during a termination. */
  #leaderGone(): void {
    // Nobody waits for its output any more: a grandchild holding the pipes must not keep us waiting.
    destroyStdio(this.child);
    if (!this.#options.group) this.#clearKillTimer();
    else if (!this.#groupSettled && this.#pollTimer === undefined) this.pollGroup();
  }

  #onClose(): void {
    this.#closed = true;
    this.#exited = true;
    // A group whose leader ended on its own may keep running members: they stay ours until the
    // scope ends (see guard()), unless the group is already empty.
    if (!this.#groupSettled && !this.#terminating && !groupAlive(this.child.pid as number)) this.#groupSettled = true;
    this.#maybeDone();
  }

  #groupGone(): void {
    this.#groupSettled = true;
    this.#maybeDone();
  }

  #maybeDone(): void {
    if (this.#settled || !this.#closed || !this.#groupSettled) return;
    this.#settled = true;
    this.#clearKillTimer();
    if (this.#pollTimer !== undefined) {
      this.#scope.clock.clearTimeout(this.#pollTimer);
      this.#pollTimer = undefined;
    }
    this.#resolveDone();
  }

  #clearKillTimer(): void {
    if (this.#killTimer === undefined) return;
    clearLongTimeout(this.#scope.clock, this.#killTimer);
    this.#killTimer = undefined;
  }
}

function forceKill(managed: ManagedChild): void {
  managed.forceKill();
}

function pollGroup(managed: ManagedChild): void {
  managed.pollGroup();
}

function noop(): void {}

function destroyStdio(child: ChildProcess): void {
  for (const stream of child.stdio) {
    if (stream !== null && stream !== undefined && !stream.destroyed) stream.destroy();
  }
}

// ---------------------------------------------------------------------------- the scope's ledger

/**
 * Ties `managed` to `scope` through the scope's ledger: a cancellation of the scope calls
 * `onCancel(error)` (the caller's promise rejects at once) and starts the termination; a scope that ends
 * while the child runs stops it the same way; and `run()` settles only once the child (and its group)
 * is gone.
 */
export function superviseChild(scope: CancelScope, managed: ManagedChild, onCancel: (error: CancelationError) => void): void {
  const release = holdScope(scope, {
    cancelled: (error) => {
      onCancel(error);
      managed.terminate(cancelFieldsOf(error));
    },
    stop: (error) => {
      managed.terminate(error !== undefined ? cancelFieldsOf(error) : { reason: 'parent', message: 'Parent operation ended', parentId: scope.id });
    },
  });
  if (release === undefined) {
    managed.terminate({ reason: 'parent', message: 'Parent operation has already ended', parentId: scope.id });
    return;
  }
  void managed.done.then(release);
}
