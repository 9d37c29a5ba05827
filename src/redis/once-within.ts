/**
 * Waits for `emitter` to emit `event`, at most `ms` (a socket that is already gone emits nothing).
 * Shared by both client adapters; its own file so that they do not import adapter.ts (a cycle).
 */
export function onceWithin(emitter: { once(event: string, listener: () => void): unknown; off?(event: string, listener: () => void): unknown }, event: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      emitter.off?.(event, done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    emitter.once(event, done);
  });
}
