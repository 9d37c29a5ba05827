/**
 * A small "server" for the Ctrl+C step: it runs until SIGINT/SIGTERM, then saves its state in a
 * shield (the cleanup is not cut short by the very signal that started it) and exits 0.
 * Run by showcase/steps/03-ctrl-c.ts with `node --import tsx`; it prints one line per event.
 */
import { Cancelable, SignalCancelation } from 'cancelable-ts';

let served = 0;
try {
  await Cancelable.withSignal('SIGINT', 'SIGTERM', { name: 'server' }).run(async (scope) => {
    console.log(`listening (pid ${process.pid}); press Ctrl+C to stop`);
    try {
      for (;;) {
        await scope.sleep(25); // serve one request
        served++;
      }
    } finally {
      await scope.shield(
        async (shielded) => {
          console.log(`shutting down after ${served} requests: saving state...`);
          await shielded.sleep(150); // flush to disk, close connections
          console.log('state saved, connections closed');
        },
        { timeout: 2_000 },
      );
    }
  });
} catch (error) {
  if (!(error instanceof SignalCancelation)) throw error;
  console.log(`stopped by ${error.signal}: graceful shutdown complete`);
}
