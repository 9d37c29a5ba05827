/**
 * Cross-thread cancellation latency (SPEC §9: cancel in one thread -> rejection observed in another,
 * p99 under 1 ms).
 *
 *   node --expose-gc --import tsx bench/threads.bench.ts [--samples 1000] [--quick]
 *
 * One worker thread, three directions, `--samples` cancels each. A sample is: a fresh
 * SharedCancelationToken; a scope in thread B waits on it (`scope.race` of a promise that never
 * settles: B's event loop is idle, as when a scope waits on I/O); ~1 ms later thread A stamps
 * `process.hrtime` (one monotonic clock for the whole process) into shared memory and calls
 * `cancelSync()`; B stamps again in the scope's rejection handler. Reported: p50 / p90 / p99 / max.
 *
 *   worker -> main   A = worker, B = main thread
 *   main -> worker   A = main thread, B = worker
 *   spin             B is a worker in `while (!token.isCancelled) {}` (shared-memory read, no event loop)
 *
 * The worker loads the library from src/ through tsx's CommonJS hook (as the tests do).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Cancelable } from '../src/index.js';
import { SharedCancelationToken } from '../src/threads/index.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const samplesIndex = args.indexOf('--samples');
const SAMPLES = samplesIndex === -1 ? (quick ? 50 : 1000) : Number(args[samplesIndex + 1]);
const WARMUP = quick ? 10 : 100;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Worker side, plain CommonJS (eval): registers tsx, loads the library from src/.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { createRequire } = require('node:module');
const requireHere = createRequire(workerData.root + '/package.json');
requireHere('tsx/cjs/api').register();
const { Cancelable } = requireHere(workerData.root + '/src/index.ts');
const { SharedCancelationToken } = requireHere(workerData.root + '/src/threads/index.ts');
const stamps = workerData.stamps;
const never = new Promise(() => {});
parentPort.on('message', (message) => {
  if (message.cmd === 'exit') {
    parentPort.close();
    return;
  }
  const token = SharedCancelationToken.from(message.buffer);
  if (message.cmd === 'cancel') {
    // A: cancel ~1 ms from now, while the main thread idles in its event loop.
    setTimeout(() => {
      Atomics.store(stamps, 0, process.hrtime.bigint());
      token.cancelSync('bench');
    }, 1);
  } else if (message.cmd === 'listen') {
    Cancelable.withToken(token).run((scope) => scope.race(never)).catch(() => {
      const ns = process.hrtime.bigint() - Atomics.load(stamps, 0);
      parentPort.postMessage({ ns: Number(ns) });
    });
    parentPort.postMessage({ ready: true });
  } else if (message.cmd === 'spin') {
    parentPort.postMessage({ ready: true });
    while (!token.isCancelled);
    const ns = process.hrtime.bigint() - Atomics.load(stamps, 0);
    parentPort.postMessage({ ns: Number(ns) });
  }
});
`;

const stamps = new BigInt64Array(new SharedArrayBuffer(8));
const worker = new Worker(workerSource, { eval: true, workerData: { root, stamps } });
worker.on('error', (error) => {
  console.error('bench worker failed:', error);
  process.exit(1);
});
const never = new Promise<never>(() => {});

function nextMessage(): Promise<{ ns?: number; ready?: boolean }> {
  return new Promise((resolve) => worker.once('message', resolve));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A = worker, B = main: main's scope rejection handler stamps the end. */
async function workerToMain(): Promise<number> {
  const token = new SharedCancelationToken();
  let end = 0n;
  const run = Cancelable.withToken(token)
    .run((scope) => scope.race(never))
    .catch(() => {
      end = process.hrtime.bigint();
    });
  worker.postMessage({ cmd: 'cancel', buffer: token.buffer });
  await run;
  return Number(end - Atomics.load(stamps, 0));
}

/** A = main, B = worker (`listen`) or a spinning worker (`spin`). */
async function mainToWorker(cmd: 'listen' | 'spin'): Promise<number> {
  const token = new SharedCancelationToken();
  const ready = nextMessage();
  worker.postMessage({ cmd, buffer: token.buffer });
  await ready;
  const result = nextMessage();
  await sleep(1);
  Atomics.store(stamps, 0, process.hrtime.bigint());
  token.cancelSync('bench');
  return (await result).ns as number;
}

function percentile(sorted: Float64Array, p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

interface Line {
  direction: string;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

async function measure(direction: string, sample: () => Promise<number>): Promise<Line> {
  for (let i = 0; i < WARMUP; i++) await sample();
  globalThis.gc?.();
  const values = new Float64Array(SAMPLES);
  for (let i = 0; i < SAMPLES; i++) values[i] = (await sample()) / 1000; // µs
  values.sort();
  return {
    direction,
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    max: values[values.length - 1] as number,
  };
}

const lines: Line[] = [];
lines.push(await measure('worker -> main', workerToMain));
lines.push(await measure('main -> worker', () => mainToWorker('listen')));
lines.push(await measure('spin (worker loop)', () => mainToWorker('spin')));
worker.postMessage({ cmd: 'exit' });
await new Promise((resolve) => worker.once('exit', resolve));

const us = (value: number): string => `${value.toFixed(1).padStart(9)} µs`;
console.log(`cross-thread cancelSync -> rejection observed, ${SAMPLES} samples each (Node ${process.version})`);
console.log(`${'direction'.padEnd(20)}${'p50'.padStart(12)}${'p90'.padStart(12)}${'p99'.padStart(12)}${'max'.padStart(12)}`);
for (const line of lines) {
  console.log(`${line.direction.padEnd(20)}${us(line.p50)}${us(line.p90)}${us(line.p99)}${us(line.max)}`);
}
const worst = Math.max(...lines.map((line) => line.p99));
console.log(`SPEC §9 cross-thread p99 < 1 ms: ${worst < 1000 ? 'met' : 'NOT met'} (worst p99 ${worst.toFixed(1)} µs)`);
