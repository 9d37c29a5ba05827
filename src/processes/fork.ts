// PLACEHOLDER — owned by the processes work (issue 8); replaced by the real implementation.
import type { ChildProcess, ForkOptions as NodeForkOptions } from 'node:child_process';
import type { Cancelable } from '../core/scope.js';

/** Options of `scope.fork`. */
export interface ForkOptions extends NodeForkOptions {
  graceMs?: number;
}

/** A promise of the child's result, with the ChildProcess at `.child`. */
export type ForkPromise<R> = Promise<R> & { readonly child: ChildProcess };

/** Forks a Node module tied to `scope`. */
export function forkInScope<R>(
  _scope: Cancelable,
  _module: string | URL,
  _args?: readonly string[],
  _options?: ForkOptions,
): ForkPromise<R> {
  throw new Error('fork is not implemented yet');
}
