// What a scope's lifecycle is compared with, shared by the lifecycle figure and bench/callgrind.mjs:
// the anchors (plain code calling the same body), the structural floor, and the async context every
// floor runs in.

/**
 * The library's own AsyncLocalStorage (kept on its process-wide runtime record), for floors that run a
 * body inside an async context. A floor on a storage of its own would turn on a second one: every
 * promise of the process then propagates two stores, and that other process state moved the bare
 * anchor from ~600 to ~370 ns per call while `run()` stayed put (2026-12-04), so the ratios measured
 * the state, not the library. Load the library (and run one scope) first.
 */
export function libraryStorage() {
  const storage = globalThis[Symbol.for('cancelable.runtime.v1')]?.storage;
  if (storage === undefined) throw new Error('libraryStorage(): load cancelable-ts first');
  return storage;
}

/**
 * The anchors: plain code around the same `body` a scope runs, with no scope. `setTimeout` arms and
 * clears a `longMs` timer (the lifecycle figure runs it in both Node timer modes).
 */
export function anchors(body, longMs = 60_000) {
  return {
    tryFinally: async () => {
      try {
        return await body();
      } finally {
        // nothing
      }
    },
    abortController: async () => {
      const controller = new AbortController();
      const signal = controller.signal;
      const listener = () => {};
      signal.addEventListener('abort', listener);
      try {
        return await body();
      } finally {
        signal.removeEventListener('abort', listener);
      }
    },
    setTimeout: async () => {
      const timer = setTimeout(() => {}, longMs);
      try {
        return await body();
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * The structural floor of a scope that keeps SPEC §2–§3, built from the same primitives with nothing
 * else: an object per scope, a promise of its own (`run()` must be able to reject before the body
 * settles: the grace period), the body called inside the async context (`Cancelable.current()`), one
 * reaction on the body's promise, found through the context (no closure per run), and a monotonic
 * clock read at the start and at the end (SPEC: real start and end times, durations on a monotonic
 * clock). `runWithTimeout` adds what a timeout needs at the least: an entry in a shared per-duration
 * list at the start reading plus the duration (one host timer for all, never re-armed here), unlinked
 * at the end. No validation, no tree, no registry, no diagnostics: what the library does beyond this
 * is the price of its features.
 */
export function structuralFloor(body, storage = libraryStorage()) {
  let capturedResolve;
  let capturedReject;
  const capture = (resolve, reject) => {
    capturedResolve = resolve;
    capturedReject = reject;
  };
  // The host's clock object, kept (as the library keeps it): `globalThis.performance` is an accessor.
  const clock = globalThis.performance;
  class FloorScope {
    phase = 0;
    resolve = capturedResolve;
    reject = capturedReject;
    entry = undefined;
    start = clock.now();
    end = 0;
  }
  const end = (scope) => {
    scope.phase = 2;
    scope.end = clock.now();
    const entry = scope.entry;
    if (entry !== undefined) {
      scope.entry = undefined;
      if (entry.prev !== undefined) entry.prev.next = entry.next;
      else queue.head = entry.next;
      if (entry.next !== undefined) entry.next.prev = entry.prev;
      else queue.tail = entry.prev;
    }
  };
  const onValue = (value) => {
    const scope = storage.getStore();
    end(scope);
    scope.resolve(value);
  };
  const onError = (error) => {
    const scope = storage.getStore();
    end(scope);
    scope.reject(error);
  };
  const callBody = (scope) => {
    scope.phase = 1;
    body(scope).then(onValue, onError);
  };
  const queue = { head: undefined, tail: undefined, timer: undefined };
  const start = (scope) => {
    storage.run(scope, callBody, scope);
  };
  return {
    run() {
      const promise = new Promise(capture);
      start(new FloorScope());
      return promise;
    },
    runWithTimeout() {
      const promise = new Promise(capture);
      const scope = new FloorScope();
      const entry = { deadline: scope.start + 60_000, scope, prev: queue.tail, next: undefined };
      if (queue.tail !== undefined) queue.tail.next = entry;
      else queue.head = entry;
      queue.tail = entry;
      queue.timer ??= setTimeout(() => {}, 60_000).unref();
      scope.entry = entry;
      start(scope);
      return promise;
    },
  };
}
