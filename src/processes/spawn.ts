// PLACEHOLDER — owned by the processes work (issue 8); replaced by the real implementation.
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import type { Cancelable } from '../core/scope.js';

/** Options of `scope.spawn`. */
export interface ScopedSpawnOptions extends SpawnOptions {
  graceMs?: number;
}

/** How a spawned process ended. */
export interface SpawnResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A promise of the result, with the ChildProcess at `.child`. */
export type SpawnPromise = Promise<SpawnResult> & { readonly child: ChildProcess };

/** Spawns a child process tied to `scope`. */
export function spawnInScope(
  _scope: Cancelable,
  _command: string,
  _args?: readonly string[],
  _options?: ScopedSpawnOptions,
): SpawnPromise {
  throw new Error('spawn is not implemented yet');
}
