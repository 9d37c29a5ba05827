import { threadId } from 'node:worker_threads';
import {
  CancelationReason,
  CancelationToken,
  describeValue,
  nextId,
  type CancelationError,
  type CancelCallback,
} from '../core/index.js';
import { holdThread, releaseThread } from './keep-alive.js';

/*
 * Layout of the shared buffer (bytes). Int32 slots are read and written with Atomics only.
 *
 *    0  int32   MAGIC            identifies a token buffer
 *    4  int32   VERSION          layout version
 *    8  int32   STATE            0 = live; otherwise 1 + reason code (set once, by compare-exchange)
 *   12  int32   DETAILS          0 until message, length and time are written, then 1
 *   16  int32   MESSAGE_LENGTH   bytes of the message, -1 for no message
 *   20  int32   FLAGS            bit 0: the message was truncated
 *   24  int32   WAITING          bit i: some thread has waited on wake slot i
 *   28  int32   (reserved)
 *   32  int32 x WAKE_SLOTS       what waiting threads wait on: 0, set to 1 on cancel
 *   64  float64 CANCELLED_AT     epoch milliseconds (published by DETAILS)
 *   72  36 B    ID               the token's UUID (ASCII), written at creation
 *  112  1024 B  MESSAGE          UTF-8
 *
 * The cancelling thread wins STATE with a compare-exchange (the reason travels in the same word, so
 * `isCancelled` and `reason` are right from that instant), writes the details, publishes DETAILS
 * (a seq-cst store: a thread that reads DETAILS === 1 sees every byte written before), then sets
 * every wake slot and notifies those some thread has waited on. A waiting thread waits on the slot
 * of its own thread id, so it can stop waiting by notifying that slot without waking every thread.
 */
const MAGIC = 0x434e434c; // 'CNCL'
const VERSION = 1;
const I_MAGIC = 0;
const I_VERSION = 1;
const I_STATE = 2;
const I_DETAILS = 3;
const I_MESSAGE_LENGTH = 4;
const I_FLAGS = 5;
const I_WAITING = 6;
const I_WAKE = 8;
const WAKE_SLOTS = 8;
const CANCELLED_AT_OFFSET = 64;
const ID_OFFSET = 72;
const ID_LENGTH = 36;
const MESSAGE_OFFSET = 112;
const FLAG_TRUNCATED = 1;

/** The largest message a {@link SharedCancelationToken} carries, in UTF-8 bytes. */
export const MAX_SHARED_MESSAGE_BYTES = 1024;

const BYTE_LENGTH = MESSAGE_OFFSET + MAX_SHARED_MESSAGE_BYTES;

// A reader that meets a claimed STATE before DETAILS spins this many times at most (the writer is a
// handful of statements away); past that, a writer killed mid-write is assumed and the details dropped.
const MAX_DETAIL_SPINS = 10_000_000;

const REASONS: readonly CancelationReason[] = [
  CancelationReason.Timeout,
  CancelationReason.Manual,
  CancelationReason.Signal,
  CancelationReason.Condition,
  CancelationReason.Parent,
  CancelationReason.Disconnect,
];

function reasonCode(reason: CancelationReason): number {
  const code = REASONS.indexOf(reason);
  return code < 0 ? 1 : code;
}

function isSharedArrayBuffer(value: unknown): value is SharedArrayBuffer {
  return Object.prototype.toString.call(value) === '[object SharedArrayBuffer]';
}

const wakeBit = threadId % WAKE_SLOTS;
const wakeSlot = I_WAKE + wakeBit;

/**
 * A {@link CancelationToken} whose state lives in a `SharedArrayBuffer`, so it can be cancelled from
 * any thread and seen by all of them. Create it in any thread, post its {@link buffer} to others
 * (`postMessage`, `workerData`) and revive it there with {@link SharedCancelationToken.from}.
 *
 * - `cancelSync()` / `cancel()` work from any thread; the first cancel wins across threads (an atomic
 *   compare-exchange) and its reason and message travel with it. Messages are capped at
 *   {@link MAX_SHARED_MESSAGE_BYTES} (1 KiB) of UTF-8, truncated at a character boundary.
 * - `isCancelled` reads the shared memory: a CPU-bound loop that never yields still sees the cancel.
 * - Each thread's listeners (scopes, `onCancel`, `waitForCancel`) are woken without polling
 *   (`Atomics.waitAsync`); the thread that cancels runs its own callbacks at once, the others on their
 *   next event-loop turn, or at once when their code reads the token first.
 * - While a token has `onCancel` listeners in a thread (a running scope listening to it, for
 *   instance), it keeps that thread alive, like a MessagePort with a listener; {@link unref} opts out.
 *   A token nobody listens to keeps nothing alive.
 *
 * @example
 * ```ts
 * import { Worker } from 'node:worker_threads';
 * import { Cancelable } from 'cancelable-ts';
 * import { SharedCancelationToken } from 'cancelable-ts/worker';
 *
 * const token = new SharedCancelationToken();
 * const worker = new Worker(new URL('./canceller.js', import.meta.url), { workerData: token.buffer });
 * // canceller.js: SharedCancelationToken.from(workerData).cancelSync('Cancelled from thread');
 * await Cancelable.withToken(token).run((scope) => longOperation(scope)); // rejects when the worker cancels
 * ```
 */
export class SharedCancelationToken extends CancelationToken {
  /** See {@link MAX_SHARED_MESSAGE_BYTES}. */
  static readonly MAX_MESSAGE_BYTES = MAX_SHARED_MESSAGE_BYTES;

  /** The shared memory behind the token: post it to another thread and revive it there with {@link SharedCancelationToken.from}. */
  readonly buffer: SharedArrayBuffer;
  readonly #i32: Int32Array;
  readonly #bytes: Buffer; // one byte view for the id, message and time
  #sharedId: string | undefined;
  #delivered = false;
  #interest = 0; // live onCancel subscriptions in this thread
  #waitPending = false; // a waitForCancel() promise or the signal is out: wake this thread on cancel
  #watching = false; // an Atomics.waitAsync is pending for us
  #generation = 0; // bumped when a pending wait is abandoned
  #held = false; // holding the thread alive
  #refed = true;

  /**
   * A new, uncancelled token with its own shared memory; or, given the `buffer` of an existing token,
   * another view of that token (the same as {@link SharedCancelationToken.from}).
   */
  constructor(buffer?: SharedArrayBuffer) {
    super();
    const created = buffer === undefined;
    buffer = created ? new SharedArrayBuffer(BYTE_LENGTH) : checkTokenBuffer('buffer', buffer);
    this.buffer = buffer;
    this.#i32 = new Int32Array(buffer);
    this.#bytes = Buffer.from(buffer);
    if (created) {
      const i32 = this.#i32;
      this.#bytes.write(nextId(), ID_OFFSET, ID_LENGTH, 'latin1');
      i32[I_MESSAGE_LENGTH] = -1;
      Atomics.store(i32, I_VERSION, VERSION);
      Atomics.store(i32, I_MAGIC, MAGIC);
    }
  }

  /**
   * Revives a token from the `buffer` of a {@link SharedCancelationToken} made in this or another
   * thread. Both objects are views of the same token: cancelling either cancels both.
   * Throws a TypeError for anything else.
   *
   * @example
   * ```ts
   * import { workerData } from 'node:worker_threads';
   * const token = SharedCancelationToken.from(workerData.token);
   * while (!token.isCancelled) crunch(); // sees a cancel from the main thread without yielding
   * ```
   */
  static from(buffer: SharedArrayBuffer): SharedCancelationToken {
    return new SharedCancelationToken(checkTokenBuffer('buffer', buffer));
  }

  /** Whether `value` is the buffer of a {@link SharedCancelationToken}. */
  static isTokenBuffer(value: unknown): value is SharedArrayBuffer {
    return tokenBufferProblem(value) === undefined;
  }

  /** The token's id: the same UUID in every thread. */
  override get id(): string {
    return (this.#sharedId ??= this.#bytes.toString('latin1', ID_OFFSET, ID_OFFSET + ID_LENGTH));
  }

  /**
   * What the getters read: the shared state, from any thread. A pure read (one atomic load while not
   * cancelled): `isCancelled`, `reason`, `message`, `cancelledAt` and `error` never run callbacks;
   * this thread's callbacks run when it is woken, or from a method (`onCancel`, `waitForCancel`,
   * `throwIfCancelled`, `cancel`).
   */
  protected override readState(): { reason: CancelationReason; message: string | undefined; cancelledAt: number } | undefined {
    if (this.#delivered) return super.readState();
    const i32 = this.#i32;
    const state = Atomics.load(i32, I_STATE);
    if (state === 0) return undefined;
    const reason = REASONS[state - 1] ?? CancelationReason.Manual;
    if (Atomics.load(i32, I_DETAILS) !== 1) return { reason, message: undefined, cancelledAt: Date.now() };
    const length = Atomics.load(i32, I_MESSAGE_LENGTH);
    const message = length >= 0 ? this.#bytes.toString('utf8', MESSAGE_OFFSET, MESSAGE_OFFSET + length) : undefined;
    return { reason, message, cancelledAt: this.#bytes.readDoubleLE(CANCELLED_AT_OFFSET) };
  }

  /** Throws the cancellation error if the token is cancelled from any thread (and applies it here). */
  override throwIfCancelled(): void {
    this.#sync();
    super.throwIfCancelled();
  }

  /** An AbortSignal of this thread, aborted when the token is cancelled from any thread. */
  override get signal(): AbortSignal {
    const signal = super.signal;
    // Someone may hold on to the signal only: make sure this thread hears of a remote cancel.
    if (!this.#delivered) this.#wantWake();
    return signal;
  }

  /**
   * Resolves with the cancellation error once the token is cancelled from any thread. A pending
   * `waitForCancel()` does not keep the thread alive (use a scope, or `onCancel`, for that).
   */
  override waitForCancel(): Promise<CancelationError> {
    this.#sync();
    const promise = super.waitForCancel();
    if (!this.#delivered) this.#wantWake();
    return promise;
  }

  /**
   * Runs `callback(error)` in this thread when the token is cancelled from any thread (at once if it
   * already is). Returns a function that unsubscribes. While it has subscribers the token keeps this
   * thread alive, unless {@link unref} was called.
   */
  override onCancel(callback: CancelCallback): () => void {
    this.#sync();
    const off = super.onCancel(callback);
    if (this.#delivered) return off;
    this.#interest++;
    this.#update();
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      off();
      if (this.#delivered) return;
      this.#interest--;
      this.#update();
    };
  }

  /** Lets this thread exit even while the token has listeners here (like `MessagePort.unref()`). Returns the token. */
  unref(): this {
    this.#refed = false;
    this.#update();
    return this;
  }

  /** Undoes {@link unref}: listeners keep this thread alive again. Returns the token. */
  ref(): this {
    this.#refed = true;
    this.#update();
    return this;
  }

  // ------------------------------------------------------------------ cancelling

  /** Wins the shared state with a compare-exchange, writes the details, publishes them, wakes every thread. */
  protected override commitCancel(reason: CancelationReason, message: string | undefined): boolean {
    const i32 = this.#i32;
    if (Atomics.compareExchange(i32, I_STATE, 0, reasonCode(reason) + 1) !== 0) {
      this.#sync(); // lost to another thread (or this one): apply theirs here
      return false;
    }
    const bytes = this.#bytes;
    let length = -1;
    let flags = 0;
    if (message !== undefined) {
      // Buffer#write never writes part of a character, so a cut is always at a boundary.
      length = bytes.write(message, MESSAGE_OFFSET, MAX_SHARED_MESSAGE_BYTES, 'utf8');
      // (A UTF-16 unit takes at most 3 UTF-8 bytes: short messages are never cut.)
      if (message.length * 3 > MAX_SHARED_MESSAGE_BYTES && length < Buffer.byteLength(message, 'utf8')) {
        flags |= FLAG_TRUNCATED;
      }
    }
    bytes.writeDoubleLE(Date.now(), CANCELLED_AT_OFFSET);
    Atomics.store(i32, I_MESSAGE_LENGTH, length);
    Atomics.store(i32, I_FLAGS, flags);
    Atomics.store(i32, I_DETAILS, 1);
    for (let slot = I_WAKE; slot < I_WAKE + WAKE_SLOTS; slot++) Atomics.store(i32, slot, 1);
    // Only after every slot is set: a thread that starts waiting later finds its slot set and does not wait.
    const waiting = Atomics.load(i32, I_WAITING);
    for (let bit = 0; bit < WAKE_SLOTS; bit++) {
      if ((waiting & (1 << bit)) !== 0) Atomics.notify(i32, I_WAKE + bit);
    }
    return true;
  }

  /** Applies the shared cancellation in this thread (once), with the shared reason, message and time. */
  protected override deliver(
    _reason: CancelationReason,
    _message: string | undefined,
    _cancelledAt: number,
  ): Promise<void>[] | undefined {
    if (this.#delivered) return undefined;
    this.#delivered = true;
    this.#interest = 0;
    this.#waitPending = false;
    if (this.#watching) {
      // Our pending wait resolves (the cancel notified every slot) and is ignored as stale.
      this.#watching = false;
      this.#generation++;
    }
    if (this.#held) {
      this.#held = false;
      releaseThread();
    }
    const i32 = this.#i32;
    const reason = REASONS[Atomics.load(i32, I_STATE) - 1] ?? CancelationReason.Manual;
    let message: string | undefined;
    let cancelledAt = Date.now();
    let spins = 0;
    while (Atomics.load(i32, I_DETAILS) === 0 && spins < MAX_DETAIL_SPINS) spins++;
    if (Atomics.load(i32, I_DETAILS) === 1) {
      const length = Atomics.load(i32, I_MESSAGE_LENGTH);
      if (length >= 0) message = this.#bytes.toString('utf8', MESSAGE_OFFSET, MESSAGE_OFFSET + length);
      cancelledAt = this.#bytes.readDoubleLE(CANCELLED_AT_OFFSET);
    }
    return super.deliver(reason, message, cancelledAt);
  }

  /** Whether the cancel's message was cut to {@link MAX_SHARED_MESSAGE_BYTES}. */
  get messageTruncated(): boolean {
    return Atomics.load(this.#i32, I_STATE) !== 0 && (Atomics.load(this.#i32, I_FLAGS) & FLAG_TRUNCATED) !== 0;
  }

  // ------------------------------------------------------------------ waking this thread

  /** Applies a cancel made elsewhere, if there is one and it is not applied yet. */
  #sync(): void {
    if (!this.#delivered && Atomics.load(this.#i32, I_STATE) !== 0) {
      void this.deliver(CancelationReason.Manual, undefined, 0); // async callbacks report their own failures
    }
  }

  #wantWake(): void {
    this.#waitPending = true;
    this.#update();
  }

  /** Starts or stops the wait and the thread hold to match who listens. */
  #update(): void {
    if (this.#delivered) return;
    const hold = this.#interest > 0 && this.#refed;
    if (hold !== this.#held) {
      this.#held = hold;
      if (hold) holdThread();
      else releaseThread();
    }
    const watch = this.#interest > 0 || this.#waitPending;
    if (watch && !this.#watching) this.#arm();
    else if (!watch && this.#watching) {
      this.#watching = false;
      this.#generation++;
      // Wake our pending wait so it lets go of this token (the other threads on this slot re-arm).
      Atomics.notify(this.#i32, wakeSlot);
    }
  }

  #arm(): void {
    // Announce the slot before waiting on it (the canceller notifies only announced slots).
    Atomics.or(this.#i32, I_WAITING, 1 << wakeBit);
    const result = Atomics.waitAsync(this.#i32, wakeSlot, 0);
    if (!result.async) {
      // The slot is already set: cancelled in the meantime.
      this.#sync();
      return;
    }
    this.#watching = true;
    const generation = this.#generation;
    void result.value.then(() => this.#woken(generation));
  }

  #woken(generation: number): void {
    if (generation !== this.#generation || this.#delivered) return;
    this.#watching = false;
    this.#sync();
    // A wake without a cancel: another thread sharing the slot stopped waiting. Wait again.
    this.#update();
  }
}

function tokenBufferProblem(value: unknown): string | undefined {
  if (!isSharedArrayBuffer(value)) {
    if (value instanceof SharedCancelationToken) return 'got the token itself; pass token.buffer';
    if (value instanceof ArrayBuffer) return 'got an ArrayBuffer (a copy, not shared memory)';
    return `got ${describeValue(value)}`;
  }
  if (value.byteLength !== BYTE_LENGTH) return `got a SharedArrayBuffer of ${value.byteLength} bytes`;
  const i32 = new Int32Array(value, 0, I_WAKE);
  if (Atomics.load(i32, I_MAGIC) !== MAGIC) return 'got a SharedArrayBuffer without the token header';
  const version = Atomics.load(i32, I_VERSION);
  if (version !== VERSION) return `got a token buffer of layout version ${version} (this copy reads ${VERSION})`;
  const state = Atomics.load(i32, I_STATE);
  if (state < 0 || state > REASONS.length) return `got a token buffer with a corrupt state (${state})`;
  return undefined;
}

function checkTokenBuffer(name: string, value: unknown): SharedArrayBuffer {
  const problem = tokenBufferProblem(value);
  if (problem !== undefined) {
    throw new TypeError(`${name} must be the buffer of a SharedCancelationToken (token.buffer); ${problem}`);
  }
  return value as SharedArrayBuffer;
}
