// Worker of examples/18-worker-threads.ts: a CPU-bound loop that never awaits. It still sees a
// cancellation at once: the shared token is read from shared memory.
import { workerMain } from 'cancelable-ts/worker';

void workerMain(async (_scope, data, { token }) => {
  let primes = 0;
  for (let n = 2; n < data.limit; n++) {
    if (n % 1024 === 0) token.throwIfCancelled();
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) primes++;
  }
  return primes;
});
