/**
 * Every example runs, as a user would run it (`node --import tsx examples/<file>.ts` against the
 * built package), exits 0 and prints its key lines. A new example without expectations here fails
 * the suite, so every example stays runnable.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { ensureBuilt } from '../harness/build.js';
import { root, runExample, type RunOptions } from './run-example.js';

interface Expectation extends RunOptions {
  lines: RegExp[];
}

// Examples 24-27 run the same scenario on Express, Fastify, Hono and Koa: one expectation for all four.
const frameworkExample: Expectation = {
  timeoutMs: 30_000, // servers and real clients
  lines: [
    /GET \/slow -> 503 Request timed out/,
    /\[upstream\] called with grpc-timeout: \d+m/,
    /GET \/report with grpc-timeout: 300m -> 504 Deadline exceeded/,
    /\[app\] GET \/report stopped: disconnect/,
    /servers closed/,
  ],
};

const expectations: Record<string, Expectation> = {
  '01-basic.ts': { lines: [/Progress: Step 3\/3/, /Result: 6/, /Final status: completed/] },
  '02-timeout.ts': {
    lines: [/Operation timed out after 0\.\d\ds/, /Final status: cancelled/, /Cancel reason: timeout/, /TimeoutCancelation \(timeoutMs=200\)/],
  },
  '03-manual-token.ts': {
    lines: [/Cancelling task\.\.\./, /Background task was cancelled! \(User requested cancelation\)/, /reason=manual/],
  },
  '04-decorated-functions.ts': {
    lines: [/Result: done after 100 ms/, /Operation was cancelled! \(Operation timed out after 200ms\)/, /Method result: report with 2 pages/, /Method call was cancelled!/],
  },
  '05-combined.ts': { lines: [/Triggering manual cancelation/, /Cancelled: manual - Demonstration cancel/, /Reason: manual/, /Message: Demonstration cancel/] },
  '06-shielded-cleanup.ts': {
    lines: [/cleanup: done/, /run\(\) rejected with TimeoutCancelation after the cleanup/, /stopped by its own timeout: Operation timed out after 60ms/],
  },
  '07-registry.ts': {
    lines: [/Active operations:/, /Cancel upload-c by id: true/, /upload-c: cancelled \(Cancelled by the admin\)/, /download-b: cancelled \(Shutting down\)/, /History \(newest first\):/],
  },
  '08-with-timeout-helper.ts': { lines: [/Completed: fast result/, /Timed out: Operation timed out after 100ms/, /Promise timed out:/] },
  '09-cancel-from-thread.ts': {
    lines: [/\[main\] operation cancelled: Cancelled from thread/, /\[worker\] cancelling token/, /cancelled=true, message="Cancelled from thread"/],
  },
  '10-cancel-from-another-task.ts': {
    lines: [/\[token\] cancelled: Supervisor decided to stop/, /cancel\(\) -> true, again -> false/, /Worker result: stopped \(manual: Supervisor decided to stop\)/],
  },
  '11-conditions.ts': { lines: [/Job stopped: Condition 'stop flag' met after \d+ checks/, /Quota reached after \d+ calls: Condition 'quota' met/] },
  '12-signal-handling.ts': {
    interrupt: { when: /Application running/, signal: 'SIGINT', afterMs: 200 },
    lines: [/Shutting down gracefully/, /state saved/, /Shutdown complete/, /Stopped by SIGINT/],
  },
  '13-all-of.ts': { lines: [/5 results after \d+ ms/, /Search stopped after \d+ ms/, /All 2 sources have triggered/, /any-of stopped: reason=manual: User stopped/] },
  '14-resource-monitoring.ts': { lines: [/System now: memory/, /file_processor completed: no threshold reached/, /cache_warmup stopped after \d+ entries: Memory usage/] },
  '15-shared-context.ts': {
    lines: [/progress: Validating data quality/, /Pipeline completed: Saved 1000 records successfully/, /Task A completed/, /Tasks cancelled due to shared timeout/],
  },
  '16-stream-processing.ts': {
    lines: [/stopped: Operation timed out after 120ms/, /stopped: User stopped stream/, /batch insert of 10 rows \(ids 1\.\.10\)/, /batch insert of 3 rows \(ids 21\.\.23\)/],
  },
  '17-monitoring-dashboard.ts': { lines: [/── final ── live 0, ended 3/, /resize-images\s+cancelled/, /completed 1, cancelled 2/] },
  '18-worker-threads.ts': { lines: [/primes below 20,000: 2262/, /huge-crunch cancelled after \d+ ms: Operation timed out after 150ms/] },
  '19-llm-streaming.ts': { lines: [/\[LLM INITIATED PAUSE\]/, /\[USER PAUSED STREAM\]/, /\[STREAM COMPLETED\] 3 turns, 302\/302 characters/] },
  '20-child-processes.ts': {
    lines: [/spawn finished with code 0: hello from \d+/, /long command stopped/, /fork result: \{"converted":2\}/, /\[child\] cancelled by the parent \(timeout/, /batch-convert cancelled/],
  },
  '21-web-dashboard.ts': {
    interrupt: { when: /Dashboard at/, signal: 'SIGINT', afterMs: 200 },
    lines: [
      /live: import-customers\s+\d+ customers/,
      /cancel render-invoices through the API -> 200 \{"found":true,"cancelled":true\}/,
      /render-invoices: manual \(Printer out of paper\)/,
      /Dashboard at http:\/\/127\.0\.0\.1:\d+\/ops\//,
      /import-orders: parent/,
      /Stopped: Received signal SIGINT; 0 operations left/,
    ],
  },
  '22-stop-button-scaled.ts': {
    timeoutMs: 60_000,
    lines: [
      /three processes up: worker \d+, api-1 :\d+ \(\d+\), api-2 :\d+ \(\d+\)/,
      /\[worker\] job \d+ started/,
      /browser: Stop -> \{"cancelled":true,"running":true\} \(through api-2\)/,
      /browser: job \d+ is failed after 1 attempt\(s\): Job \d+ cancelled \(manual\) by api-2: User pressed Stop/,
      /all processes stopped/,
    ],
  },
  '23-llm-proxy.ts': {
    lines: [
      /1\. client left after 5 tokens/,
      /upstream: caller hung up after \d+ tokens, generation stopped/,
      // The Stop request races the upstream's 20 ms token cadence: a token or two may pass before it lands.
      /2\. client got [3-9] tokens, then event: cancelled \{"reason":"manual","message":"Stopped by the user"\}/,
      /3\. client got the whole answer: 4 tokens/,
      /upstream: answer complete \(4 tokens\)/,
      /live operations left: 0/,
    ],
  },
  '24-express.ts': frameworkExample,
  '25-fastify.ts': frameworkExample,
  '26-hono.ts': frameworkExample,
  '27-koa.ts': frameworkExample,
  'comparison/abort-signal.ts': { lines: [/AbortSignal:/, /cancelable:/] },
  'comparison/effection.ts': { lines: [/effection:/, /cancelable:/] },
  'comparison/p-timeout.ts': { lines: [/p-timeout:/, /cancelable:/] },
  'comparison/abortable-iterator.ts': { lines: [/abortable-iterator:/, /cancelable:/] },
  'comparison/effect.ts': { lines: [/effect: .*Timeout/, /cancelable: TimeoutCancelation/] },
  'comparison/abort-controller-x.ts': { lines: [/abort-controller-x: delay aborted/, /cancelable: step\(\) stopped/] },
};

function exampleFiles(): string[] {
  const top = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts'));
  let comparison: string[] = [];
  try {
    comparison = readdirSync(join(root, 'examples/comparison'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => `comparison/${f}`);
  } catch {
    // no comparison folder
  }
  return [...top, ...comparison].sort();
}

beforeAll(() => ensureBuilt(), 180_000);

test('every example has expectations here, and every expectation an example', () => {
  expect(exampleFiles()).toEqual(Object.keys(expectations).sort());
});

// At most three examples at once: each is a process (several start servers, workers or children), and
// on a 2-core machine more at once only makes each one slower.
let running = 0;
const queue: (() => void)[] = [];
async function slot(): Promise<() => void> {
  if (running >= 3) await new Promise<void>((resolve) => queue.push(resolve));
  running++;
  return () => {
    running--;
    queue.shift()?.();
  };
}

describe.concurrent('examples', () => {
  for (const file of exampleFiles()) {
    const expected = expectations[file];
    if (expected === undefined) continue;
    test(file, async () => {
      const release = await slot();
      const run = await runExample(join('examples', file), expected).finally(release);
      const report = `--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
      expect(run.code, report).toBe(0);
      for (const line of expected.lines) expect(run.stdout, report).toMatch(line);
      expect(run.stderr, report).toBe('');
    }, 240_000); // the wait for a slot included
  }
});
