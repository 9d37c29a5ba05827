import { Cancelable, ParentCancelation, isCancelationError } from 'cancelable-ts';
import type { Step } from '../step.js';
import { dim, green, ok, say, yellow } from '../ui.js';

export const step: Step = {
  title: 'A hierarchy',
  pitch: 'Scopes started inside a scope are its children: cancel the parent, and every child stops.',
  async run() {
    const children: Cancelable[] = [];
    const parent = Cancelable.withTimeout(200, { name: 'checkout' });
    try {
      await parent.run(async (scope) => {
        const task = (name: string, ms: number): Promise<void> => {
          const child = new Cancelable({ name }); // its parent: the running scope, implicitly
          children.push(child);
          return child.run((child) => child.sleep(ms));
        };
        const results = await Promise.allSettled([task('reserve-stock', 60), task('charge-card', 500), task('send-receipt', 900)]);
        for (const result of results) {
          if (result.status === 'rejected' && !(result.reason instanceof ParentCancelation)) throw result.reason;
        }
        scope.throwIfCancelled();
      });
    } catch (error) {
      if (!isCancelationError(error)) throw error;
    }
    say(`${parent.name} ${yellow(parent.status)} ${dim(`(${parent.context.cancelReason}: ${parent.context.cancelMessage})`)}`);
    for (const child of children) {
      const c = child.context;
      const colour = c.status === 'completed' ? green : yellow;
      const why = c.cancelMessage === null ? '' : dim(` (${c.cancelMessage})`);
      say(`└─ ${child.name} ${colour(c.status)} after ${Math.round(c.durationMs ?? 0)} ms${why}`);
    }
    const cancelled = children.filter((c) => c.status === 'cancelled').length;
    ok(`${cancelled} children were cancelled with ParentCancelation, the finished one kept 'completed'`);
  },
};
