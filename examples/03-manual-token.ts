/**
 * 03 — Manual cancellation with a token: a background task runs under a token that someone else
 * cancels (a button, an endpoint, another task).
 * Run: npx tsx examples/03-manual-token.ts
 */
import { Cancelable, CancelationToken, ManualCancelation } from 'cancelable-ts';

const token = new CancelationToken();

async function backgroundTask(): Promise<void> {
  try {
    await Cancelable.withToken(token, { name: 'background_task' })
      .onProgress((_id, message) => console.log(`  Progress: ${message}`))
      .run(async (scope) => {
        for (let i = 1; i <= 10; i++) {
          scope.reportProgress(`Step ${i}/10`);
          await scope.sleep(50);
        }
      });
  } catch (error) {
    if (!(error instanceof ManualCancelation)) throw error;
    console.log(`  Background task was cancelled! (${error.message})`);
  }
}

const task = backgroundTask();
await new Promise((resolve) => setTimeout(resolve, 180));
console.log('Cancelling task...');
await token.cancel('User requested cancelation');
await task;
console.log(`Token: cancelled=${token.isCancelled}, reason=${token.reason}, message="${token.message}"`);
