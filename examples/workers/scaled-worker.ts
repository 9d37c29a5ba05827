// The worker of examples/22-stop-button-scaled.ts: each job streams a story in a cancelable scope;
// remote.cancel(job.id) from any API instance stops the stream mid-sentence.
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { cancelableProcessor } from 'cancelable-ts/bullmq';
import { createRedisCancelation } from 'cancelable-ts/redis';
import { simulateStream } from 'cancelable-ts/testing';

const [url = 'redis://127.0.0.1:6379', prefix = 'example'] = process.argv.slice(2);
const connection = new Redis(url, { maxRetriesPerRequest: null });
const remote = createRedisCancelation({ client: connection.duplicate(), namespace: prefix, closeClient: true });
const story =
  'The keeper climbed the stairs at dusk, counted the ships by their lights, and wrote each name in the log ' +
  'before the fog came in from the sea and swallowed the harbour whole, one mast at a time.';

const worker = new Worker(
  'stories',
  cancelableProcessor(async (job, scope) => {
    console.log(`[worker] job ${job.id} started (pid ${process.pid})`);
    let text = '';
    for await (const event of scope.stream(simulateStream(story, { chunkSize: 4, baseDelayMs: 40, jitterMs: 5, stallProbability: 0, seed: 7 }))) {
      if (event.type !== 'data') continue;
      text += event.chunk;
      await job.updateProgress(text.length);
    }
    return text;
  }, { remote }),
  { connection, prefix },
);
worker.on('failed', (job, error) => console.log(`[worker] job ${job?.id} failed: ${error.message}`));
worker.on('completed', (job) => console.log(`[worker] job ${job.id} completed`));
await worker.waitUntilReady();
process.send!({ type: 'ready' });
process.once('message', () => {
  void worker
    .close()
    .then(() => remote.close())
    .then(() => connection.quit());
});
