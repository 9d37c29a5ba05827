/**
 * 05 — Combined cancellation: a timeout, a token and Ctrl+C on one scope; the first to fire wins
 * and keeps its own reason and message.
 * Run: npx tsx examples/05-combined.ts   (press Ctrl+C to see the signal win instead)
 */
import { Cancelable, CancelationToken, isCancelationError } from 'cancelable-ts';

const token = new CancelationToken();
const timeoutScope = Cancelable.withTimeout(2_000);
const tokenScope = Cancelable.withToken(token);
const signalScope = Cancelable.withSignal('SIGINT');

// Combine step by step (or all at once: Cancelable.combine([timeout, token, signal])).
const combined = timeoutScope.combine(tokenScope).combine(signalScope);
console.log(`Combined scope ${combined.id.slice(0, 8)}: timeout 2 s + token + SIGINT`);

combined.onCancel((ctx) => console.log(`  Cancelled: ${ctx.cancelReason} - ${ctx.cancelMessage ?? 'no message'}`));

try {
  await combined.run(async (scope) => {
    for (let i = 1; i <= 20; i++) {
      await scope.sleep(30);
      console.log(`  Working... ${i}/20`);
      if (i === 6) {
        console.log('  Triggering manual cancelation...');
        await token.cancel('Demonstration cancel');
      }
    }
  });
} catch (error) {
  if (!isCancelationError(error)) throw error;
  console.log('  Operation was cancelled');
  console.log(`  Reason: ${combined.context.cancelReason}`);
  console.log(`  Message: ${combined.context.cancelMessage}`);
}
