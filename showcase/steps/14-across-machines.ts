import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createRedisCancelation } from 'cancelable-ts/redis';
import type { Step } from '../step.js';
import { bad, dim, explain, ok, say, since, yellow } from '../ui.js';

const child = fileURLToPath(new URL('../children/remote-stream.ts', import.meta.url));
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A connected client, or undefined when no Redis answers within a moment. */
async function connect(): Promise<Redis | undefined> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 1_000, retryStrategy: () => null, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch {
    client.disconnect();
    return undefined;
  }
}

export const step: Step = {
  title: 'A stream in another process, cancelled through Redis',
  pitch: 'remote.cancel(id) from any process stops the scope watching that id, wherever it runs.',
  async run() {
    const client = await connect();
    if (client === undefined) {
      say(`${yellow('skipped:')} no Redis answers at ${url}.`);
      explain('To see this step, start a Redis (redis-server, or docker run -p 6379:6379 redis) or set REDIS_URL, then run the tour again.');
      return;
    }
    const namespace = `showcase-${randomBytes(3).toString('hex')}`;
    const remote = createRedisCancelation({ client, namespace, closeClient: true });
    const streamer = spawn(process.execPath, ['--import', 'tsx', child, url, namespace, 'story-1'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => streamer.once('exit', (code) => resolve(code)));
    const watchdog = setTimeout(() => {
      bad('the child did not stop within 15 s; killing it');
      streamer.kill('SIGKILL');
    }, 15_000);
    let sentAt = 0;
    let chunks = 0;
    let stoppedLine = '';
    let stoppedAfter = '';
    const lines = createInterface({ input: streamer.stdout });
    lines.on('line', (line) => {
      say(`${dim('other process │')} ${line}`);
      if (line.startsWith('stopped')) {
        stoppedLine = line;
        stoppedAfter = since(sentAt);
      }
      // The user presses Stop a few chunks in (counted, not timed: the demo must not race a busy machine).
      if (line.startsWith('Once') && ++chunks === 4) {
        sentAt = performance.now();
        void remote.cancel('story-1', { message: 'Stopped from another process' }).then(({ cancelled, running }) => {
          say(`[this process] remote.cancel('story-1') -> cancelled: ${cancelled}, running: ${running}`);
        });
      }
    });
    try {
      const code = await exited;
      if (code !== 0 || stoppedLine === '') throw new Error(`the other process exited with code ${code} without being stopped`);
      ok(`the other process stopped its stream ${stoppedAfter} after remote.cancel(): "${stoppedLine}"`);
      explain('The cancel is a latch in Redis plus a wake-up: a process that was reconnecting, or starts later, still learns of it.');
    } finally {
      clearTimeout(watchdog);
      lines.close();
      const keys = await client.keys(`${namespace}:*`);
      if (keys.length > 0) await client.del(...keys);
      await remote.close();
    }
  },
};
