/**
 * Regenerates docs/images/dashboard.png: a registry with a realistic tree of operations (progress, a
 * cancelled one still shown, history), served by the dashboard, photographed in Chromium
 * (/usr/bin/chromium through playwright-core; no browser is downloaded).
 *
 *   npx tsx scripts/dashboard-screenshot.ts [output.png]
 */
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { Cancelable, OperationRegistry } from '../src/index.js';
import { serveDashboard } from '../src/dashboard/index.js';

const output = resolve(import.meta.dirname, '..', process.argv[2] ?? 'docs/images/dashboard.png');
const registry = new OperationRegistry();
const runs: Promise<unknown>[] = [];

function start(name: string, body: (scope: Cancelable) => Promise<unknown>, options: { parent?: Cancelable; timeout?: number } = {}): Cancelable {
  const scope =
    options.timeout === undefined
      ? new Cancelable({ name, register: registry, parent: options.parent, metadata: { region: 'eu-west-1' } })
      : Cancelable.withTimeout(options.timeout, { name, register: registry, parent: options.parent });
  runs.push(scope.run(body).catch(() => undefined));
  return scope;
}

async function steps(scope: Cancelable, everyMs: number, label: (n: number) => string): Promise<never> {
  for (let n = 1; ; n++) {
    scope.reportProgress(label(n));
    await scope.sleep(everyMs);
  }
}

// History first: a few operations that already ended.
await new Cancelable({ name: 'warm-cache', register: registry }).run(() => 1);
await Cancelable.withTimeout(5, { name: 'fetch-exchange-rates', register: registry }).run((s) => s.sleep(1_000)).catch(() => undefined);
await new Cancelable({ name: 'parse-upload', register: registry })
  .run(() => Promise.reject(new Error('row 1204: invalid date')))
  .catch(() => undefined);

start('nightly-import', async (scope) => {
  start('import-customers', (s) => steps(s, 120, (n) => `${n * 250} / 48,000 customers`), { parent: scope });
  start('import-orders', async (orders) => {
    start('orders-2026-q3', (s) => steps(s, 200, (n) => `batch ${n} of 120`), { parent: orders });
    start('orders-2026-q4', (s) => steps(s, 260, (n) => `batch ${n} of 96`), { parent: orders });
    await orders.sleep(1e9);
  }, { parent: scope });
  await scope.sleep(1e9);
});
start('render-invoices', (s) => steps(s, 150, (n) => `invoice ${n} rendered`));
const stuck = start('sync-crm', (s) => steps(s, 500, (n) => `page ${n}`));
start('llm-summarise #4411', (s) => steps(s, 90, (n) => `${n * 12} tokens`), { timeout: 60_000 });
start('resize-images', (s) => steps(s, 180, (n) => `${n} of 640 images`));

const served = await serveDashboard({ registry, title: 'cancelable — shop backend' });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 640 }, deviceScaleFactor: 1 });
  await page.goto(served.url);
  await page.locator('#live-list .row', { hasText: 'orders-2026-q4' }).waitFor();
  await new Promise((done) => setTimeout(done, 1_500)); // some progress, some age
  stuck.cancel('CRM API is rate-limiting us; retry after 14:00');
  await page.locator('#live-list .row', { hasText: 'import-customers' }).locator('.c-name').click();
  await page.locator('#detail ol li').nth(4).waitFor();
  await page.locator('#live-list .row .status', { hasText: 'cancelled' }).waitFor();
  await page.screenshot({ path: output });
  console.log(`wrote ${output}`);
} finally {
  await browser.close();
  registry.cancelAll(undefined, 'screenshot taken');
  await Promise.all(runs);
  await served.close();
}
