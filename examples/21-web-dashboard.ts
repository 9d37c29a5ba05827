/**
 * 21 — The dashboard in the browser: a plain node:http server mounts it under /ops next to its own
 * routes, while a few operations run (a tree, with progress). The example lists them through the
 * dashboard's JSON API, cancels one the way the page's Cancel button does, and keeps serving until
 * Ctrl+C: open the printed URL to watch and cancel the rest.
 * Run: npx tsx examples/21-web-dashboard.ts
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Cancelable, OperationRegistry, isCancelationError } from 'cancelable-ts';
import { ACTION_HEADER, dashboard } from 'cancelable-ts/dashboard';

const registry = new OperationRegistry();
const ops = dashboard({ registry, basePath: '/ops', title: 'example shop' });
const server = http.createServer((req, res) =>
  // The dashboard under /ops; everything else is the app.
  ops(req, res, () => res.end('the shop\n')),
);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ops/`;

async function steps(scope: Cancelable, everyMs: number, label: (n: number) => string): Promise<never> {
  for (let n = 1; ; n++) {
    scope.reportProgress(label(n));
    await scope.sleep(everyMs);
  }
}

// The application's lifetime: Ctrl+C (or SIGTERM) cancels it, and everything under it.
const app = Cancelable.withSignal('SIGINT', 'SIGTERM', { name: 'shop' });
try {
  await app.run(async (scope) => {
    const child = (name: string, body: (s: Cancelable) => Promise<unknown>): Promise<unknown> =>
      new Cancelable({ name, register: registry }).run(body).catch((error: unknown) => {
        if (!isCancelationError(error)) throw error;
        console.log(`${name}: ${error.reason} (${error.message})`);
      });
    const work = [
      child('nightly-import', async (s) => {
        await Promise.all([
          child('import-customers', (c) => steps(c, 200, (n) => `${n * 100} customers`)),
          child('import-orders', (c) => steps(c, 300, (n) => `batch ${n}`)),
        ]);
        await s.sleep(2 ** 31 - 1);
      }),
      child('render-invoices', (s) => steps(s, 250, (n) => `invoice ${n}`)),
    ];
    await scope.sleep(300);

    // What the page reads...
    const live = (await (await fetch(`${base}api/operations`)).json()) as { rows: { id: string; name: string; progress: { message: string } | null }[] };
    for (const row of live.rows) console.log(`live: ${row.name.padEnd(17)} ${row.progress?.message ?? ''}`);
    // ...and what its Cancel button sends: POST, JSON, the dashboard's header.
    const invoices = live.rows.find((row) => row.name === 'render-invoices')!;
    const reply = await fetch(`${base}api/operations/${encodeURIComponent(invoices.id)}/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [ACTION_HEADER]: '1' },
      body: JSON.stringify({ message: 'Printer out of paper' }),
    });
    console.log(`cancel render-invoices through the API -> ${reply.status} ${JSON.stringify(await reply.json())}`);

    console.log(`Dashboard at ${base} (the app itself at ${base.replace(/ops\/$/, '')}); press Ctrl+C to stop`);
    await scope.sleep(2 ** 31 - 1); // serve until a signal arrives
    await Promise.all(work);
  });
} catch (error) {
  if (!isCancelationError(error)) throw error;
  console.log(`Stopped: ${error.message}; ${registry.size} operations left`);
} finally {
  await ops.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
