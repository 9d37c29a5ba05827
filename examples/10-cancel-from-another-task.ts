/**
 * 10 — Cancel from another task: one async task watches and cancels another through a token, and
 * waits for the cancellation to be observed.
 * Run: npx tsx examples/10-cancel-from-another-task.ts
 */
import { Cancelable, CancelationToken, isCancelationError } from 'cancelable-ts';

const token = new CancelationToken();
token.onCancel((error) => console.log(`  [token] cancelled: ${error.message}`));

async function worker(): Promise<string> {
  try {
    return await Cancelable.withToken(token, { name: 'worker' }).run(async (scope) => {
      let processed = 0;
      for (;;) {
        await scope.sleep(25);
        processed++;
        if (processed % 4 === 0) console.log(`  [worker] processed ${processed} items`);
      }
    });
  } catch (error) {
    if (!isCancelationError(error)) throw error;
    return `stopped (${error.reason}: ${error.message})`;
  }
}

async function supervisor(): Promise<void> {
  // Cancels the worker when it has had enough time (or when something else goes wrong).
  await new Promise((resolve) => setTimeout(resolve, 220));
  console.log('  [supervisor] cancelling the worker');
  const first = await token.cancel('Supervisor decided to stop');
  const again = await token.cancel('Second request');
  console.log(`  [supervisor] cancel() -> ${first}, again -> ${again} (the first reason wins)`);
}

const [result] = await Promise.all([worker(), supervisor()]);
console.log(`  Worker result: ${result}`);
