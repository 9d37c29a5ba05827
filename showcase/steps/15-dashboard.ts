import { Cancelable, OperationRegistry, isCancelationError } from 'cancelable-ts';
import { ACTION_HEADER, serveDashboard } from 'cancelable-ts/dashboard';
import type { Step } from '../step.js';
import { dim, ok, say } from '../ui.js';

interface Row {
  id: string;
  name: string;
  status: string;
  cancelReason: string | null;
  cancelMessage: string | null;
  progress: { message: string } | null;
}

export const step: Step = {
  title: 'The dashboard',
  pitch: 'A live view of every operation in the browser, with Cancel buttons: here driven through its JSON API.',
  async run() {
    const registry = new OperationRegistry();
    const runs: Promise<unknown>[] = [];
    const start = (name: string, everyMs: number): void => {
      runs.push(
        new Cancelable({ name, register: registry })
          .run(async (scope) => {
            for (let n = 1; ; n++) {
              scope.reportProgress(`step ${n}`);
              await scope.sleep(everyMs);
            }
          })
          .catch((error: unknown) => (isCancelationError(error) ? undefined : Promise.reject(error))),
      );
    };
    start('sync-crm', 60);
    start('render-invoices', 80);
    start('resize-images', 100);
    const served = await serveDashboard({ registry }); // 127.0.0.1, any free port
    try {
      await new Promise((resolve) => setTimeout(resolve, 150));
      const list = (await (await fetch(`${served.url}api/operations`)).json()) as { rows: Row[] };
      for (const row of list.rows) say(`${row.name.padEnd(16)} ${row.status.padEnd(9)} ${dim(row.progress?.message ?? '')}`);
      const target = list.rows.find((row) => row.name === 'sync-crm')!;
      const reply = await fetch(`${served.url}api/operations/${encodeURIComponent(target.id)}/cancel`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [ACTION_HEADER]: '1' },
        body: JSON.stringify({ message: 'CRM is rate-limiting us' }),
      });
      say(`POST api/operations/<id>/cancel -> ${reply.status} ${JSON.stringify(await reply.json())}`);
      let row = target;
      for (let tries = 0; row.status === 'running' && tries < 100; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        row = ((await (await fetch(`${served.url}api/operations?name=sync`)).json()) as { rows: Row[] }).rows[0]!;
      }
      ok(`sync-crm is now ${row.status} (${row.cancelReason}: ${row.cancelMessage}); the others keep running`);
      say(dim(`The page was at ${served.url} (mount it in your own server with dashboard({ registry }))`));
    } finally {
      registry.cancelAll(undefined, 'tour over');
      await Promise.all(runs);
      await served.close();
    }
  },
};
