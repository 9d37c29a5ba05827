/**
 * 11 — Condition-based cancellation: a predicate polled at an interval (sync or async) cancels the
 * scope when it turns true: a stop flag, a quota, a file that appears.
 * Run: npx tsx examples/11-conditions.ts
 */
import { Cancelable, ConditionCancelation, ConditionSource } from 'cancelable-ts';

// Custom business logic: a job controller whose stop flag is set by an API endpoint.
class JobController {
  shouldStop = false;
  checkStopFlag(): boolean {
    return this.shouldStop;
  }
}
const controller = new JobController();
setTimeout(() => {
  console.log('  [api] POST /jobs/stop');
  controller.shouldStop = true;
}, 150);

try {
  await new Cancelable({
    name: 'background_job',
    sources: [new ConditionSource(() => controller.checkStopFlag(), 50, { name: 'stop flag' })],
  }).run(async (scope) => {
    for (let batch = 1; ; batch++) {
      await scope.sleep(40);
      console.log(`  processed batch ${batch}`);
    }
  });
} catch (error) {
  if (!(error instanceof ConditionCancelation)) throw error;
  console.log(`  Job stopped: ${error.message} (condition: ${error.conditionName})`);
}

// An async predicate and the Cancelable.withCondition factory: stop when a quota is used up.
let used = 0;
const quotaExhausted = async (): Promise<boolean> => used >= 5;
try {
  await Cancelable.withCondition(quotaExhausted, 20, { name: 'api-calls', conditionName: 'quota' }).run(async (scope) => {
    for (;;) {
      await scope.sleep(15);
      used++;
    }
  });
} catch (error) {
  if (!(error instanceof ConditionCancelation)) throw error;
  console.log(`  Quota reached after ${used} calls: ${error.message}`);
}
