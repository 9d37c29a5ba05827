/** Helpers for the process tests: real processes, real signals, bounded waits. */
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../../src/index.js';

export const NODE = process.execPath;
/** Runs TypeScript fixtures in a forked child. */
export const TSX_EXEC_ARGV = ['--import', 'tsx'];
export const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/**
 * Whether `pid` is a live process. A zombie counts as dead: it has exited, and in a container whose
 * init does not reap orphans it stays a zombie forever.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform !== 'linux') return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Polls `predicate` every 10 ms (real time) until it holds; throws after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves with the first line written to `stream`. */
export function firstLine(stream: Readable | null | undefined): Promise<string> {
  if (!stream) return Promise.reject(new Error('no stream'));
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      const newline = text.indexOf('\n');
      if (newline !== -1) {
        stream.off('data', onData);
        stream.off('end', onEnd);
        resolve(text.slice(0, newline));
      }
    };
    const onEnd = (): void => reject(new Error(`stream ended before a line; got ${JSON.stringify(text)}`));
    stream.on('data', onData);
    stream.once('end', onEnd);
  });
}

/** A clock whose timers fire only when advanced (time does not pass on its own). */
export class ManualClock implements Clock {
  #now = 0;
  #timers = new Map<number, { at: number; run: () => void }>();
  #next = 1;
  now(): number {
    return this.#now;
  }
  setTimeout<T>(callback: (arg: T) => void, ms: number, arg: T): number {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + ms, run: () => callback(arg) });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }
  get pending(): number {
    return this.#timers.size;
  }
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let nextId: number | undefined;
      let nextAt = Infinity;
      for (const [id, timer] of this.#timers) {
        if (timer.at <= target && timer.at < nextAt) {
          nextAt = timer.at;
          nextId = id;
        }
      }
      if (nextId === undefined) break;
      const timer = this.#timers.get(nextId)!;
      this.#timers.delete(nextId);
      this.#now = timer.at;
      timer.run();
    }
    this.#now = target;
  }
}

/** A node -e script that prints 'ready' and then ignores SIGTERM until killed. */
export const IGNORES_SIGTERM = `process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('ready');`;
