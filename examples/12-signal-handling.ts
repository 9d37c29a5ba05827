/**
 * 12 — Signal handling: Ctrl+C (SIGINT) or SIGTERM cancels the application scope; the cleanup runs in
 * a shield so the shutdown is graceful, and the process exits 0.
 * Run: npx tsx examples/12-signal-handling.ts   then press Ctrl+C
 * (It also stops by itself after 30 s, so it never hangs a script.)
 */
import { Cancelable, SignalCancelation, TimeoutSource, isCancelationError } from 'cancelable-ts';

const app = Cancelable.withSignal('SIGINT', 'SIGTERM', { name: 'application' }).addSource(new TimeoutSource(30_000));

let requests = 0;
try {
  await app.run(async (scope) => {
    try {
      console.log(`Application running (pid ${process.pid})... (Ctrl+C to stop)`);
      for (;;) {
        await scope.sleep(50); // serve a request
        requests++;
      }
    } finally {
      await scope.shield(
        async (cleanup) => {
          console.log('Shutting down gracefully...');
          await cleanup.sleep(100); // save state
          console.log(`  state saved (${requests} requests served)`);
          await cleanup.sleep(50); // close connections
          console.log('  connections closed');
          console.log('Shutdown complete');
        },
        { timeout: 5_000 },
      );
    }
  });
} catch (error) {
  if (error instanceof SignalCancelation) console.log(`Stopped by ${error.signal}`);
  else if (isCancelationError(error)) console.log(`Stopped: ${error.message}`);
  else throw error;
}
