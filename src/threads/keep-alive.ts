import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { singleton } from '../core/runtime.js';

/**
 * Keeps the current thread's event loop alive while at least one holder needs it.
 *
 * A pending `Atomics.waitAsync` does not keep a Node thread alive (checked on Node 20): a worker
 * whose scope waits only for a cancel from another thread would exit with its work half done. So a
 * shared token that has listeners holds the thread open, the way a MessagePort with a 'message'
 * listener does, and lets go when the last listener leaves. One ref-counted port per thread; a port
 * rather than a timer so fake timers (vi.runAllTimers) never see it.
 */
interface KeepAlive {
  holders: number;
  port: MessagePort | undefined;
}

// Per thread: every thread has its own globalThis, hence its own runtime slots.
const state = singleton<KeepAlive>('threads.keepAlive', () => ({ holders: 0, port: undefined }));

/** @internal Adds a holder; the thread stays alive until the matching {@link releaseThread}. */
export function holdThread(): void {
  if (state.holders++ === 0) {
    if (state.port === undefined) {
      const channel = new MessageChannel();
      channel.port2.unref();
      state.port = channel.port1;
    }
    state.port.ref();
  }
}

/** @internal Removes a holder added by {@link holdThread}. */
export function releaseThread(): void {
  if (state.holders > 0 && --state.holders === 0) state.port?.unref();
}

/** @internal Number of holders in this thread (tests). */
export function threadHolders(): number {
  return state.holders;
}
