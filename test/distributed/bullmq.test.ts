// BullMQ: a job running in a worker process is cancelled from a third process through Redis, fails
// without being retried, and records why; a job cancelled before it starts fails at once; BullMQ's own
// worker.cancelJob() feeds the same scope.
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { cancelableProcessor, JobCancelledError } from '../../src/bullmq/index.js';
import { createRedisCancelation } from '../../src/redis/index.js';
import { ensureBuilt } from '../harness/build.js';
import { FixtureProcess, sleep, waitFor } from './helpers.js';
import { uniqueNamespace, useRedis, type TestServer } from './servers.js';

let server: TestServer;
let connection: Redis;
const ns = uniqueNamespace('bull');

beforeAll(async () => {
  ensureBuilt(); // the worker and canceller processes run against the built package
  server = await useRedis();
  connection = new Redis(server.url, { maxRetriesPerRequest: null });
}, 180_000);

afterAll(async () => {
  const keys = (await connection.keys(`${ns}:*`));
  if (keys.length > 0) await connection.del(...keys);
  await connection?.quit();
  await server?.stop();
});

async function failedState(queue: Queue, id: string): Promise<Job> {
  await waitFor(`job ${id} to fail`, async () => (await queue.getJobState(id)) === 'failed', 30_000);
  return (await queue.getJob(id))!; // read after the state: the record is final

}

test('a job running in a worker process is cancelled from a third process, fails without retry, its reason recorded', async () => {
  const queueName = 'exports';
  const queue = new Queue(queueName, { connection, prefix: ns });
  const worker = new FixtureProcess('bullmq-worker.mjs', [JSON.stringify({ backend: 'redis', url: server.url, ns, queue: queueName })]);
  let canceller: FixtureProcess | undefined;
  try {
    await worker.next('ready');
    const job = await queue.add('export-pdf', { pages: 1_000 }, { attempts: 5, backoff: { type: 'fixed', delay: 0 } });
    const active = await worker.next('active');
    expect(active).toMatchObject({ id: job.id, attempt: 0 });
    canceller = new FixtureProcess('canceller.mjs', [JSON.stringify({ backend: 'redis', url: server.url, ns, mode: 'once', ids: [job.id], message: 'User pressed Stop' })]);
    await canceller.next('ready');
    canceller.send('go');
    expect(await canceller.next('result')).toEqual({ type: 'result', cancelled: true, running: true });
    const failed = await failedState(queue, job.id!);
    expect(failed.failedReason).toMatch(new RegExp(`^Job ${job.id} cancelled \\(manual\\) by canceller-\\d+: User pressed Stop$`));
    expect(failed.attemptsMade).toBe(1);
    expect(await worker.next('failed')).toMatchObject({ id: job.id, name: 'UnrecoverableError' });
    await sleep(500);
    const later = await queue.getJob(job.id!);
    expect(await later!.getState()).toBe('failed'); // never retried, whatever its 5 attempts
    expect(later!.attemptsMade).toBe(1);
    expect(worker.messages.filter((m) => m.type === 'active')).toHaveLength(1);
  } finally {
    worker.send('exit');
    const timer = setTimeout(() => void worker.kill(), 10_000);
    await worker.exited;
    clearTimeout(timer);
    await canceller?.kill();
    await queue.close();
  }
}, 120_000);

test('in process: a job cancelled before it starts fails at once; worker.cancelJob() cancels through the same scope', async () => {
  const queueName = 'local';
  const remoteClient = new Redis(server.url);
  const remote = createRedisCancelation({ client: remoteClient, namespace: ns, closeClient: true });
  const queue = new Queue(queueName, { connection, prefix: ns });
  const errors: unknown[] = [];
  const started: string[] = [];
  const worker = new Worker(
    queueName,
    cancelableProcessor(
      async (job, scope) => {
        started.push(job.id!);
        await scope.sleep(60_000);
        return 'never';
      },
      { remote },
    ),
    { connection, prefix: ns, concurrency: 2 },
  );
  worker.on('failed', (_job, error) => errors.push(error));
  try {
    await remote.cancel('pre-cancelled', { message: 'not wanted any more' });
    await queue.add('thumbnail', {}, { jobId: 'pre-cancelled', attempts: 3 });
    const early = await failedState(queue, 'pre-cancelled');
    expect(early.failedReason).toMatch(/^Job pre-cancelled cancelled \(manual\) by .+: not wanted any more$/);
    expect(early.attemptsMade).toBe(1);

    const job = await queue.add('thumbnail', {}, { jobId: 'local-stop', attempts: 3 });
    await waitFor('the job to start', () => started.includes('local-stop'));
    expect(worker.cancelJob(job.id!, 'operator stop')).toBe(true);
    const stopped = await failedState(queue, 'local-stop');
    expect(stopped.failedReason).toBe('Job local-stop cancelled (manual): Aborted: operator stop');
    expect(stopped.attemptsMade).toBe(1);
    expect(errors.every((error) => error instanceof JobCancelledError)).toBe(true);
    expect((errors.at(-1) as JobCancelledError).reason).toBe('manual');
  } finally {
    await worker.close();
    await queue.close();
    await remote.close();
  }
}, 60_000);
