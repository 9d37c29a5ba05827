/** Running operations for the dashboard tests, all stopped and awaited by `stopAll()`. */
import { Cancelable, OperationRegistry } from '../../src/index.js';
import { serveDashboard, type ServeDashboardOptions, type ServedDashboard } from '../../src/dashboard/index.js';

export class Workload {
  readonly registry = new OperationRegistry({ historyLimit: 100 });
  readonly runs: Promise<unknown>[] = [];
  readonly outcomes = new Map<string, { status: string; reason: string | null; message: string | null }>();

  /** Starts an operation that runs until cancelled (reporting progress every `progressMs` if given). */
  start(name: string, options: { parent?: Cancelable; id?: string; progressMs?: number; metadata?: Record<string, unknown>; children?: string[] } = {}): Cancelable {
    const scope = new Cancelable({ name, register: this.registry, parent: options.parent, id: options.id, metadata: options.metadata });
    const run = scope
      .run(async (s) => {
        for (const child of options.children ?? []) this.start(child, { parent: s });
        const every = options.progressMs;
        if (every === undefined) await s.sleep(1e9);
        else {
          for (let n = 1; ; n++) {
            s.reportProgress(`step ${n}`, { n });
            await s.sleep(every);
          }
        }
      })
      .catch(() => undefined)
      .finally(() => {
        const context = scope.context;
        this.outcomes.set(name, { status: context.status, reason: context.cancelReason, message: context.cancelMessage });
      });
    this.runs.push(run);
    return scope;
  }

  /** Runs an operation to completion (or failure) so it lands in the history. */
  async finish(name: string, outcome: 'complete' | 'fail' | 'timeout'): Promise<void> {
    const scope = outcome === 'timeout' ? Cancelable.withTimeout(1, { name, register: this.registry }) : new Cancelable({ name, register: this.registry });
    await scope
      .run(async (s) => {
        if (outcome === 'fail') throw new RangeError('bad input 42');
        if (outcome === 'timeout') await s.sleep(10_000);
      })
      .catch(() => undefined);
  }

  async stopAll(): Promise<void> {
    for (let i = 0; i < 5 && this.registry.size > 0; i++) {
      this.registry.cancelAll(undefined, 'test over');
      await Promise.all(this.runs);
    }
  }
}

/** A dashboard served on 127.0.0.1 for a workload, with a base URL ending in '/'. */
export async function serve(workload: Workload, options: Omit<ServeDashboardOptions, 'registry'> = {}): Promise<ServedDashboard> {
  return serveDashboard({ registry: workload.registry, ...options });
}
