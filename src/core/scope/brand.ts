/**
 * How the kernel tells its own scopes from scopes of another copy of the library (the ESM and
 * CommonJS builds loaded in one process): a brand private to this copy, and versioned protocol keys
 * (registered symbols) through which two copies cooperate.
 */

/** @internal Set on this copy's scope prototype only. */
export const kOwnScope: unique symbol = Symbol('cancelable.own-scope');

/** @internal Holds a scope open from another copy: `scope[kHoldProtocol](hold) -> release | undefined`. */
export const kHoldProtocol: unique symbol = Symbol.for('cancelable.scope.hold.v1') as never;

/** @internal Listens for a scope's cancellation from another copy: `scope[kListenProtocol](fn) -> off`. */
export const kListenProtocol: unique symbol = Symbol.for('cancelable.scope.listen.v1') as never;

/** Whether `value` is a scope of this copy of the library. */
export function isOwnScope(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kOwnScope] === true;
}
