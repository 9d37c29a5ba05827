/**
 * `npm run showcase` works for a newcomer: the tour runs every step, offline, without a TTY (as in
 * CI: the progress bars degrade to plain lines), exits 0 by itself, and stays well under a minute.
 */
import { beforeAll, expect, test } from 'vitest';
import { ensureBuilt } from '../harness/build.js';
import { runExample } from './run-example.js';

beforeAll(() => ensureBuilt(), 180_000);

test('the showcase runs every step and exits 0', async () => {
  const run = await runExample('showcase/index.ts', { timeoutMs: 60_000 });
  const report = `--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
  expect(run.code, report).toBe(0);
  expect(run.stdout, report).toMatch(/Done: (\d+)\/\1 steps in \d+ ms\./);
  for (const line of [
    /TimeoutCancelation after \d+ ms/, // a timeout that really fires
    /\[user clicks "Cancel"\]/, // the cancel button
    /stopped by SIGINT: graceful shutdown complete/, // Ctrl+C in a child, shielded cleanup
    /ConditionCancelation \(stop requested\)/,
    /timeout 400 ms \+ token \+ SIGINT -> manual: "Stopped by the user"/,
    /children were cancelled with ParentCancelation/,
    /journal committed: true/, // the shield
    /Stopped from a worker thread/,
    /bulk insert\s+\d+%/, // a progress bar, as plain lines without a TTY
    /cancelAll\(\{ name: \/\^import-\/ \}\) -> 2/,
    /SIGTERM: flushing the output file/, // the child process
    /"User pressed Stop" after \d+ ms/, // the LLM stream
    /stopped its stream \d+ ms after remote\.cancel\(\)|skipped: no Redis answers at/, // across machines
    /sync-crm is now cancelled \(manual: CRM is rate-limiting us\)/, // the dashboard's API
  ]) {
    expect(run.stdout, report).toMatch(line);
  }
  expect(run.stdout.includes('\u001b['), 'no escape codes without a TTY').toBe(false);
  expect(run.ms).toBeLessThan(60_000);
}, 90_000);
