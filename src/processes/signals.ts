/**
 * Signalling a child process or its whole process group, and telling whether a group still has
 * live members. Process groups exist on POSIX only; on Windows the group forms fall back to the child.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { describeValue } from '../core/validate.js';

/** A signal name (`'SIGTERM'`) or number. */
export type KillSignal = NodeJS.Signals | number;

const groupsSupported = process.platform !== 'win32';

/** Validates a `killSignal` option; returns the default `'SIGTERM'` for `undefined`. */
export function checkKillSignal(name: string, value: unknown): KillSignal {
  if (value === undefined) return 'SIGTERM';
  if (typeof value === 'string' && Object.prototype.hasOwnProperty.call(constants.signals, value)) {
    return value as NodeJS.Signals;
  }
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) {
    // Node rejects unknown numbers only when it signals (too late to say which option was wrong).
    if (Object.values(constants.signals).includes(value)) return value;
    throw new RangeError(`${name} must be a signal number known to this platform (os.constants.signals), got ${value}`);
  }
  throw new TypeError(`${name} must be a signal name such as 'SIGTERM' or a positive signal number, got ${describeValue(value)}`);
}

/** Whether the child has exited (or never started). */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null || child.pid === undefined;
}

/**
 * Sends `signal` to the child, or to its process group when `group` is set (POSIX). Never throws:
 * a group or process that is already gone is not an error. Returns whether the signal was delivered.
 */
export function signalChild(child: ChildProcess, signal: KillSignal, group: boolean): boolean {
  const pid = child.pid;
  if (pid === undefined) return false;
  if (group && groupsSupported) {
    try {
      process.kill(-pid, signal);
      return true;
    } catch {
      // ESRCH: the whole group is gone. EPERM: not ours to signal. Either way nothing to do.
      return false;
    }
  }
  if (hasExited(child)) return false;
  try {
    return child.kill(signal);
  } catch {
    return false;
  }
}

/**
 * Whether process group `pgid` still has a live member. Zombies do not count: a container whose init
 * does not reap orphans keeps them forever, and they hold no resources but a pid.
 */
export function groupAlive(pgid: number): boolean {
  if (!groupsSupported) return false;
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return process.platform === 'linux' ? linuxGroupHasLiveMember(pgid) : true;
}

/** Scans /proc for a member of `pgid` that is not a zombie. */
function linuxGroupHasLiveMember(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    const first = entry.charCodeAt(0);
    if (first < 48 || first > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid pgrp ..." — comm may hold spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}
