// One API instance of examples/22-stop-button-scaled.ts: POST /generate enqueues a job, GET /jobs/:id
// reads it, POST /jobs/:id/stop cancels it through Redis, wherever it runs. Any instance serves any
// route: that is the point.
import { createServer } from 'node:http';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createRedisCancelation } from 'cancelable-ts/redis';

const [name = 'api', url = 'redis://127.0.0.1:6379', prefix = 'example'] = process.argv.slice(2);
const connection = new Redis(url, { maxRetriesPerRequest: null });
const queue = new Queue('stories', { connection, prefix });
const remote = createRedisCancelation({ client: connection, namespace: prefix });

const server = createServer((req, res) => {
  void (async () => {
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const stop = /^\/jobs\/([\w-]+)\/stop$/.exec(req.url ?? '');
    const read = /^\/jobs\/([\w-]+)$/.exec(req.url ?? '');
    if (req.method === 'POST' && req.url === '/generate') {
      const job = await queue.add('story', { prompt: 'a lighthouse keeper' }, { attempts: 3 });
      console.log(`[${name}] enqueued job ${job.id}`);
      return reply(202, { jobId: job.id });
    }
    if (req.method === 'POST' && stop) {
      const result = await remote.cancel(stop[1]!, { message: 'User pressed Stop', by: name });
      console.log(`[${name}] stop job ${stop[1]}: ${JSON.stringify(result)}`);
      return reply(200, result);
    }
    if (req.method === 'GET' && read) {
      const job = await queue.getJob(read[1]!);
      if (job === undefined) return reply(404, { error: 'no such job' });
      return reply(200, { state: await job.getState(), progress: job.progress, failedReason: job.failedReason ?? null, attemptsMade: job.attemptsMade });
    }
    reply(404, { error: 'not found' });
  })().catch((error: unknown) => res.writeHead(500).end(String(error)));
});

server.listen(0, '127.0.0.1', () => {
  process.send!({ type: 'listening', port: (server.address() as { port: number }).port });
});
process.once('message', () => {
  server.close();
  void remote
    .close()
    .then(() => queue.close())
    .then(() => connection.quit());
});
