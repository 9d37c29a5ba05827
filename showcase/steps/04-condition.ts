import { Cancelable, ConditionCancelation } from 'cancelable-ts';
import type { Step } from '../step.js';
import { ok, say } from '../ui.js';

export const step: Step = {
  title: 'A condition',
  pitch: 'Cancel when a predicate turns true: a stop flag, a full disk, a quota; polled, never twice at once.',
  async run() {
    // A job controller whose stop flag is set elsewhere (an admin endpoint, a config reload...).
    const controller = { stopRequested: false };
    const admin = setTimeout(() => {
      say('[admin] setting stopRequested = true');
      controller.stopRequested = true;
    }, 180);

    let imported = 0;
    try {
      await Cancelable.withCondition(() => controller.stopRequested, 50, {
        name: 'import',
        conditionName: 'stop requested',
      }).run(async (scope) => {
        for (;;) {
          await scope.sleep(20);
          imported++;
        }
      });
    } catch (error) {
      if (!(error instanceof ConditionCancelation)) throw error;
      ok(`${error.name} (${error.conditionName}): "${error.message}" after ${imported} records`);
    } finally {
      clearTimeout(admin);
    }
  },
};
