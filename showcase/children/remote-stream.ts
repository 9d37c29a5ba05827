// A stream in its own process, cancellable from any other process through Redis: prints each chunk,
// then how it was stopped. argv: redis URL, namespace, id.
import { Redis } from 'ioredis';
import { Cancelable } from 'cancelable-ts';
import { createRedisCancelation } from 'cancelable-ts/redis';
import { simulateStream } from 'cancelable-ts/testing';

const [url = 'redis://127.0.0.1:6379', namespace = 'showcase', id = 'stream'] = process.argv.slice(2);
const client = new Redis(url, { maxRetriesPerRequest: 1 });
client.on('error', () => undefined);
const remote = createRedisCancelation({ client, namespace, closeClient: true });
const text = 'Once upon a time, in a data centre far away, a stream ran on a machine nobody could reach by hand.';
try {
  await new Cancelable({ name: 'story-stream', sources: [remote.source(id)] }).run(async (scope) => {
    console.log(`streaming (pid ${process.pid})`);
    let line = '';
    for await (const event of scope.stream(simulateStream(text, { chunkSize: 6, baseDelayMs: 120, stallProbability: 0, seed: 3 }))) {
      if (event.type !== 'data') continue;
      line += event.chunk;
      console.log(line);
    }
  });
  console.log('completed');
} catch (error) {
  const e = error as Error & { reason?: string };
  console.log(`stopped (${e.reason}): ${e.message}`);
} finally {
  await remote.close();
}
