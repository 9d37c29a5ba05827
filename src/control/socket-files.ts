/**
 * Socket files this process created, removed when it exits — also when it dies of SIGTERM or
 * SIGINT, which skip the 'exit' event. The signal handlers exist only while a socket is open and
 * act only when nothing else handles the signal: then they remove the files and re-raise the
 * signal, so the process still dies of it (same exit status as without them).
 */
import { lstatSync, unlinkSync } from 'node:fs';

const isWindows = process.platform === 'win32';
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** path -> the inode we bound there (a file someone put there after us is not ours to remove). */
const owned = new Map<string, { dev: number; ino: number }>();

/** Records `path` as ours (it must exist now) and arms the exit and signal hooks. */
export function ownSocketFile(path: string): void {
  if (isWindows) return;
  const stat = lstatSync(path);
  owned.set(path, { dev: stat.dev, ino: stat.ino });
  if (owned.size === 1) arm();
}

/** Removes `path` if it is still the file we bound, and forgets it. */
export function releaseSocketFile(path: string): void {
  if (isWindows) return;
  removeIfOurs(path);
  owned.delete(path);
  if (owned.size === 0) disarm();
}

/** @internal How many socket files are tracked (tests). */
export function ownedSocketFiles(): number {
  return owned.size;
}

function removeIfOurs(path: string): void {
  const mine = owned.get(path);
  if (mine === undefined) return;
  try {
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (stat !== undefined && stat.dev === mine.dev && stat.ino === mine.ino) unlinkSync(path);
  } catch {
    // Gone already, or not removable: nothing more to do on the way out.
  }
}

function removeAll(): void {
  for (const path of owned.keys()) removeIfOurs(path);
  owned.clear();
}

function onExit(): void {
  removeAll();
}

function onSignal(signal: NodeJS.Signals): void {
  // Someone else handles it (a graceful shutdown): the 'exit' hook cleans up when they exit.
  if (process.listenerCount(signal) > 1) return;
  removeAll();
  disarm();
  process.kill(process.pid, signal); // no handler left: the default action, death by this signal
}

function arm(): void {
  process.on('exit', onExit);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function disarm(): void {
  process.off('exit', onExit);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}
