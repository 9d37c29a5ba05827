/**
 * 21 — A Stop button in a scaled deployment: two API instances and a worker, each its own process,
 * talking only through Redis. The job is enqueued through api-1 and runs in the worker; the user's Stop
 * lands on api-2, which has never seen the job: remote.cancel(jobId) stops it in the worker anyway.
 * The job fails at once, is not retried (attempts: 3), and records who stopped it and why.
 * Needs a Redis (REDIS_URL, default redis://127.0.0.1:6379); without one it says so and exits.
 * Run: npx tsx examples/22-stop-button-scaled.ts
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `example-${randomBytes(3).toString('hex')}`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// Is there a Redis at all?
const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 1 });
probe.on('error', () => undefined);
try {
  await probe.connect();
} catch {
  console.log(`No Redis answers at ${url}: start one (redis-server) or set REDIS_URL, then run this again.`);
  process.exit(0);
}

function start(file: string, args: string[]): ChildProcess {
  return fork(new URL(`./workers/${file}`, import.meta.url), args, { execArgv: ['--import', 'tsx'] });
}
const message = (child: ChildProcess): Promise<{ type: string; port?: number }> =>
  once(child, 'message').then(([m]) => m as { type: string; port?: number });

const worker = start('scaled-worker.ts', [url, prefix]);
const api1 = start('scaled-api.ts', ['api-1', url, prefix]);
const api2 = start('scaled-api.ts', ['api-2', url, prefix]);
const [, { port: port1 }, { port: port2 }] = await Promise.all([message(worker), message(api1), message(api2)]);
console.log(`three processes up: worker ${worker.pid}, api-1 :${port1} (${api1.pid}), api-2 :${port2} (${api2.pid})`);

const call = async (port: number | undefined, method: string, path: string): Promise<Record<string, unknown>> =>
  (await (await fetch(`http://127.0.0.1:${port}${path}`, { method })).json()) as Record<string, unknown>;

// The browser: start a story through api-1...
const { jobId } = (await call(port1, 'POST', '/generate')) as { jobId: string };
console.log(`browser: generating, job ${jobId} (through api-1)`);
await sleep(700);
const halfway = await call(port2, 'GET', `/jobs/${jobId}`);
console.log(`browser: ${String(halfway.progress)} characters so far (read through api-2)`);

// ...and press Stop, which the load balancer sends to api-2.
const stopped = await call(port2, 'POST', `/jobs/${jobId}/stop`);
console.log(`browser: Stop -> ${JSON.stringify(stopped)} (through api-2)`);

let status = await call(port1, 'GET', `/jobs/${jobId}`);
// (The API reads the job and its state in two calls: wait until both say it failed.)
for (let i = 0; i < 100 && (status.state !== 'failed' || status.failedReason == null); i++) {
  await sleep(50);
  status = await call(port1, 'GET', `/jobs/${jobId}`);
}
console.log(`browser: job ${jobId} is ${String(status.state)} after ${String(status.attemptsMade)} attempt(s): ${String(status.failedReason)}`);

// Shut everything down, and leave nothing in Redis.
for (const child of [worker, api1, api2]) child.send('shutdown');
await Promise.all([worker, api1, api2].map((child) => once(child, 'exit')));
const keys = await probe.keys(`${prefix}:*`);
if (keys.length > 0) await probe.del(...keys);
await probe.quit();
console.log('all processes stopped');
