import { Cancelable, OperationRegistry, isCancelationError } from 'cancelable-ts';
import type { Step } from '../step.js';
import { dim, ok, say } from '../ui.js';

export const step: Step = {
  title: 'The registry',
  pitch: 'Registered operations can be listed, watched and cancelled by id or by name from anywhere.',
  async run() {
    const registry = new OperationRegistry();
    const events: string[] = [];
    const unsubscribe = registry.subscribe((event) => events.push(`${event.type}:${event.context.name}`));
    const start = (name: string, ms: number): Promise<string> =>
      new Cancelable({ name, register: registry })
        .run((scope) => scope.sleep(ms))
        .then(
          () => 'completed',
          (error: unknown) => (isCancelationError(error) ? `cancelled (${error.message})` : Promise.reject(error)),
        );
    try {
      const jobs = [start('import-users', 2_000), start('import-orders', 2_000), start('nightly-report', 60)];
      await new Promise((resolve) => setTimeout(resolve, 20));
      for (const op of registry.list()) say(`${op.name.padEnd(15)} ${op.status} ${dim(op.id.slice(0, 8))}`);
      const count = registry.cancelAll({ name: /^import-/ }, 'Maintenance window');
      say(`cancelAll({ name: /^import-/ }) -> ${count}`);
      const outcomes = await Promise.all(jobs);
      outcomes.forEach((outcome, i) => say(`${['import-users', 'import-orders', 'nightly-report'][i]}: ${outcome}`));
      const stats = registry.stats();
      ok(`stats: ${stats.started} started, ${stats.byStatus.cancelled} cancelled, ${stats.byStatus.completed} completed; live set now ${registry.list().length}`);
      ok(`history keeps the ended ones: ${registry.history({ limit: 5 }).map((c) => c.name).join(', ')}`);
      say(dim(`events seen by subscribe(): ${events.join(' ')}`));
    } finally {
      unsubscribe();
    }
  },
};
