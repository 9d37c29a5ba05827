/**
 * `inScope(scope).spawn(...)`: calls the Node-only free functions (`spawn`, `fork`, `runInWorker`)
 * with `scope` as the current scope, exactly as a body running in `scope` would, so tests can keep
 * calling them on a scope they hold. The arguments reach the functions untouched (bad-input tests).
 */
import { runtime } from '../../src/core/runtime.js';
import type { CancelScope } from '../../src/core/index.js';
import { fork, spawn } from '../../src/processes/index.js';
import { runInWorker } from '../../src/threads/index.js';

export function inScope(scope: CancelScope): {
  spawn: typeof spawn;
  fork: typeof fork;
  runInWorker: typeof runInWorker;
} {
  const within = <R>(fn: () => R): R => runtime.storage.run(scope, fn);
  return {
    spawn: (...args) => within(() => spawn(...args)),
    fork: <R>(...args: Parameters<typeof fork>) => within(() => fork<R>(...args)),
    runInWorker: <R>(...args: Parameters<typeof runInWorker>) => within(() => runInWorker<R>(...args)),
  };
}
