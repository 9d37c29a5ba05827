/**
 * The current scope: the innermost running scope of the async context. `run()` makes its scope
 * current for the body; `enter()` puts a frame in the context for the rest of the enclosing function.
 */
import { runtime } from '../runtime.js';
import type { CancelScope } from './cancel-scope.js';

const frameBrand = Symbol.for('cancelable.EnteredFrame');

/**
 * What `enter()` puts in the async context. `enterWith` also reaches the caller of an async function,
 * where disposal cannot undo it: clearing `scope` at disposal makes such a context see the store it
 * had before (`previous`) and lets the ended scope be collected.
 */
export class EnteredFrame {
  readonly [frameBrand] = true;
  constructor(
    public scope: CancelScope | undefined,
    readonly previous: object | undefined,
  ) {}
}

function isEnteredFrame(value: unknown): value is EnteredFrame {
  return typeof value === 'object' && value !== null && frameBrand in value;
}

/** The innermost running scope of the current async context, or `undefined`. */
export function currentScope(): CancelScope | undefined {
  let store = runtime.storage.getStore();
  while (isEnteredFrame(store)) store = store.scope ?? store.previous;
  let scope = store as CancelScope | undefined;
  // A scope that ended while still held in a context (by a pending timer): skip to a running one.
  // Public getters only: the store is shared with other copies of the library.
  while (scope !== undefined && !scope.isRunning) scope = scope.parent;
  return scope;
}
