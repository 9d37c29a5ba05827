// fleetFromUrl(): what the CLI (`cancelable ps --redis <url>`, `cancelable cancel <id> --postgres <url>`)
// and the dashboard call. It loads the client, connects, owns the connection, and says clearly why not.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Cancelable, CancelationToken } from '../../src/index.js';
import { fleetFromUrl } from '../../src/redis/index.js';
import { fleetFromUrl as fleetFromUrlPg } from '../../src/postgres/index.js';
import { rejection, waitFor } from './helpers.js';
import { freePort, uniqueNamespace, usePostgres, useRedis, type TestServer } from './servers.js';

let redis: TestServer;
let postgres: TestServer;
const redisNs = uniqueNamespace('url');
const pgNs = uniqueNamespace('url');

beforeAll(async () => {
  redis = await useRedis();
  postgres = await usePostgres();
}, 60_000);

afterAll(async () => {
  const pool = new pg.Pool({ connectionString: postgres.url, max: 1 });
  await pool.query(`DROP TABLE IF EXISTS "${pgNs}_state", "${pgNs}_lease"`);
  await pool.end();
  await redis?.stop();
  await postgres?.stop();
});

describe.each([
  { name: 'redis://', url: () => redis.url, ns: redisNs },
  { name: 'postgres://', url: () => postgres.url, ns: pgNs },
])('$name', ({ url, ns }) => {
  test('lists the fleet and cancels an operation wherever it runs; close() releases its connection', async () => {
    const worker = await fleetFromUrl(url(), { namespace: ns, pollMs: 3_600_000 });
    const cli = await fleetFromUrlPg(url(), { namespace: ns });
    const token = new CancelationToken();
    const run = rejection(new Cancelable({ name: 'reindex', sources: [worker.source('reindex-1')] }).run(() => token.waitForCancel().then(() => undefined)));
    try {
      const [op] = await waitFor('the operation in the fleet', async () => {
        const ops = await cli.list();
        return ops.length === 1 ? ops : undefined;
      });
      expect(op).toMatchObject({ id: 'reindex-1', name: 'reindex', pid: process.pid });
      expect(await cli.cancel('reindex-1', { message: 'from the CLI' })).toEqual({ cancelled: true, running: true });
      expect((await run).message).toBe('from the CLI');
    } finally {
      await token.cancel();
      await worker.close();
      await cli.close(); // the leak check of this file proves the sockets are gone
    }
  });
});

test('says clearly what is wrong with a URL, a server that does not answer, and hides passwords', async () => {
  await expect(fleetFromUrl('http://example.com')).rejects.toThrow(/url must start with redis:\/\/, rediss:\/\/, postgres:\/\/ or postgresql:\/\/, got "http:"/);
  await expect(fleetFromUrl(42 as never)).rejects.toThrow(TypeError);
  const port = await freePort();
  const redisError = await rejection(fleetFromUrl(`redis://user:s3cret@127.0.0.1:${port}`, { connectTimeoutMs: 2_000 }));
  expect(redisError.message).toMatch(new RegExp(`^could not connect to Redis at redis://user:\\*\\*\\*@127\\.0\\.0\\.1:${port}`));
  expect(redisError.message).not.toContain('s3cret');
  const pgError = await rejection(fleetFromUrl(`postgres://user:s3cret@127.0.0.1:${port}/db`, { connectTimeoutMs: 2_000 }));
  expect(pgError.message).toMatch(/^could not connect to PostgreSQL at postgres:\/\/user:\*\*\*@127\.0\.0\.1/);
  expect(pgError.message).not.toContain('s3cret');
  await expect(fleetFromUrl(redis.url, { namespace: 'bad name' })).rejects.toThrow(/options.namespace must be/);
  await expect(fleetFromUrl(postgres.url, { bogus: 1 } as never)).rejects.toThrow(/options.bogus is not a known option/);
});
