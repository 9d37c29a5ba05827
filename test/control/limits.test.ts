// The control endpoint's bounds at their exact edges (mutation testing of src/control/server.ts,
// docs/reliability.md): the default and a given connection limit, the request line cap, idle time,
// a client that asks without reading, and the option checks. Real server, real Unix sockets; with
// real time, order and generous bounds.
import { describe, expect, it } from 'vitest';
import { Cancelable, OperationRegistry } from '../../src/index.js';
import { CONTROL_SERVER_DEFAULTS } from '../../src/control/server.js';
import { serveRegistry } from '../../src/processes/index.js';
import { controlBench, type RawClient, within } from './helpers.js';

const { serve, raw, socketPath } = controlBench('lim');

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the defaults', () => {
  it('are 1 MiB lines, 32 connections, 30 s idle, 16 MiB buffered in all, 4 MiB per watcher', () => {
    expect(CONTROL_SERVER_DEFAULTS).toEqual({
      maxLineBytes: 1024 * 1024,
      maxConnections: 32,
      idleTimeoutMs: 30_000,
      maxBufferedBytes: 16 * 1024 * 1024,
      maxClientBufferedBytes: 4 * 1024 * 1024,
    });
  });

  it('32 clients are served; the 33rd is told EBUSY (the limit is 32) and closed', async () => {
    const server = await serve();
    const kept: RawClient[] = [];
    for (let i = 0; i < 32; i++) kept.push(await raw(server.path));
    const extra = await raw(server.path);
    await extra.closed;
    expect(extra.lines).toEqual([{ id: null, ok: false, error: { code: 'EBUSY', message: 'too many clients (the limit is 32); try again later' } }]);
    expect(server.connections).toBe(32);
    // Every one of the 32, the last accepted included, is served (and none was dropped as idle).
    for (const [i, client] of kept.entries()) client.write(`{"id":${i},"op":"stats"}\n`);
    for (const [i, client] of kept.entries()) expect((await client.waitForLines(1))[0]).toMatchObject({ id: i, ok: true });
  });

  it('a request line of exactly 1 MiB is served', async () => {
    const server = await serve();
    const client = await raw(server.path);
    const head = '{"id":1,"op":"stats","pad":"';
    const request = `${head}${'p'.repeat(1024 * 1024 - head.length - 2)}"}`;
    expect(Buffer.byteLength(request)).toBe(1024 * 1024);
    client.write(`${request}\n`);
    expect((await client.waitForLines(1))[0]).toMatchObject({ id: 1, ok: true });
  });
});

describe('given bounds', () => {
  it('maxConnections 1: one client; the next is refused until it leaves', async () => {
    const server = await serve(undefined, { maxConnections: 1 });
    const first = await raw(server.path);
    const second = await raw(server.path);
    await second.closed;
    expect(second.lines).toEqual([{ id: null, ok: false, error: { code: 'EBUSY', message: 'too many clients (the limit is 1); try again later' } }]);
    first.close();
    await first.closed;
    const deadline = Date.now() + 5_000;
    while (server.connections > 0 && Date.now() < deadline) await sleep(10);
    const third = await raw(server.path);
    third.write('{"id":3,"op":"stats"}\n');
    expect((await third.waitForLines(1))[0]).toMatchObject({ id: 3, ok: true });
  });

  it('maxLineBytes: a line of exactly the cap is served, one byte more is ETOOLONG and the connection goes on', async () => {
    const server = await serve(undefined, { maxLineBytes: 64 });
    const client = await raw(server.path);
    const fit = (id: number, bytes: number): string => {
      const head = `{"id":${id},"op":"stats","p":"`;
      return `${head}${'p'.repeat(bytes - head.length - 2)}"}`;
    };
    expect(Buffer.byteLength(fit(1, 64))).toBe(64);
    client.write(`${fit(1, 64)}\n${fit(2, 65)}\n${fit(3, 64)}\n`);
    const lines = await client.waitForLines(3);
    expect(lines.map((l) => [l.id, l.ok])).toEqual([
      [1, true],
      [null, false],
      [3, true],
    ]);
    expect(lines[1]!.error).toEqual({ code: 'ETOOLONG', message: 'request line longer than 64 bytes; discarded' });
  });

  it('idleTimeoutMs: a client that keeps asking stays; one that stops is told EIDLE after the time, then closed', async () => {
    const server = await serve(undefined, { idleTimeoutMs: 300 });
    const busy = await raw(server.path);
    const quiet = await raw(server.path);
    const opened = Date.now();
    for (let i = 0; i < 8; i++) {
      busy.write(`{"id":${i},"op":"stats"}\n`);
      await sleep(100);
    }
    // 800 ms in: the busy one (never 300 ms without a request) is still there; the quiet one is gone.
    await quiet.closed;
    expect(quiet.lines).toEqual([{ id: null, ok: false, error: { code: 'EIDLE', message: 'idle for 300 ms; disconnected' } }]);
    expect(busy.lines).toHaveLength(8);
    expect(busy.lines.every((l) => l.ok === true)).toBe(true);
    await busy.closed;
    const lasted = Date.now() - opened;
    expect(lasted).toBeGreaterThanOrEqual(700 + 250); // the last request at ~700 ms, then 300 ms of silence
    expect(lasted).toBeLessThan(700 + 5_000);
    expect(busy.lines.at(-1)).toEqual({ id: null, ok: false, error: { code: 'EIDLE', message: 'idle for 300 ms; disconnected' } });
  });

  it('a watcher is never idle, however long; once it unwatches, it is', async () => {
    const server = await serve(undefined, { idleTimeoutMs: 200 });
    const watcher = await raw(server.path);
    watcher.write('{"id":"w","op":"watch"}\n');
    await watcher.waitForLines(1);
    expect(await within(watcher.closed, 600)).toBe('timeout');
    watcher.write('{"id":2,"op":"unwatch","watchId":"w"}\n');
    await watcher.waitForLines(2);
    expect(watcher.lines[1]).toEqual({ id: 2, ok: true, result: true });
    expect(await within(watcher.closed, 5_000)).toBe('settled');
    expect(watcher.lines[2]).toEqual({ id: null, ok: false, error: { code: 'EIDLE', message: 'idle for 200 ms; disconnected' } });
  });

  it('a client that asks without reading is not read from until it reads: all its answers come, none is lost', async () => {
    // 40,000 info requests (~330 bytes answered each: ~13 MB) against an 8 MiB cap on unread output.
    // The server stops reading the client while its answers wait, so the backlog stays near one chunk.
    const server = await serve(undefined, { maxBufferedBytes: 8 * 1024 * 1024 });
    const client = await raw(server.path);
    client.socket.pause();
    const count = 40_000;
    client.write(`{"op":"info"}\n`.repeat(count));
    await sleep(500);
    expect(server.connections).toBe(1);
    client.socket.resume();
    await client.waitForLines(count, 60_000);
    expect(client.lines.every((l) => l.ok === true)).toBe(true);
    expect(server.connections).toBe(1);
  }, 90_000);

  /** Progress events of 16 KB until `stop()` or `max` of them; resolves with how many were sent. */
  async function chatter(registry: OperationRegistry, stop: () => boolean, max: number): Promise<number> {
    const big = 'x'.repeat(16 * 1024);
    let sent = 0;
    await new Cancelable({ name: 'chatty', register: registry }).run(async (s) => {
      while (!stop() && sent < max) {
        s.reportProgress(big);
        sent++;
        if (sent % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    });
    return sent;
  }

  async function stalledWatcher(path: string): Promise<RawClient> {
    const client = await raw(path);
    client.write('{"id":1,"op":"watch"}\n');
    await client.waitForLines(1);
    client.socket.pause();
    return client;
  }

  it('maxClientBufferedBytes alone (the total cap out of reach) drops a watcher that does not read, soon', async () => {
    const registry = new OperationRegistry();
    const server = await serve(registry, { maxClientBufferedBytes: 64 * 1024, maxBufferedBytes: 1024 * 1024 * 1024 });
    const stalled = await stalledWatcher(server.path);
    // The kernel takes a few hundred KB first; then 64 KiB more of backlog drops it. 2,000 events are 32 MB.
    const sent = await chatter(registry, () => server.connections === 0, 2_000);
    expect(server.connections).toBe(0);
    expect(sent).toBeLessThan(500);
    stalled.socket.resume();
    await stalled.closed;
  });

  it('maxBufferedBytes alone (the per-watcher cap out of reach) drops the largest backlog, soon', async () => {
    const registry = new OperationRegistry();
    const server = await serve(registry, { maxClientBufferedBytes: 1024 * 1024 * 1024, maxBufferedBytes: 64 * 1024 });
    const reader = await raw(server.path);
    reader.write('{"id":1,"op":"watch"}\n');
    await reader.waitForLines(1);
    const stalled = await stalledWatcher(server.path);
    const sent = await chatter(registry, () => server.connections < 2, 2_000);
    expect(server.connections).toBe(1);
    expect(sent).toBeLessThan(500);
    stalled.socket.resume();
    await stalled.closed;
    // The reader stays, and saw every event.
    const deadline = Date.now() + 10_000;
    while (reader.lines.length < 1 + sent + 2 && Date.now() < deadline) await sleep(10);
    expect(reader.lines.length).toBe(1 + sent + 2); // the ack, start, every progress, end
    expect(await within(reader.closed, 50)).toBe('timeout');
  });

  it('a client that hangs up with answers unread (EPIPE/ECONNRESET on the server side) disturbs nobody', async () => {
    const server = await serve();
    const other = await raw(server.path);
    for (let i = 0; i < 20; i++) {
      const rude = await raw(server.path);
      rude.write('{"op":"info"}\n'.repeat(2_000));
      rude.socket.destroy();
    }
    const deadline = Date.now() + 10_000;
    while (server.connections > 1 && Date.now() < deadline) await sleep(10);
    expect(server.connections).toBe(1);
    other.write('{"id":1,"op":"stats"}\n');
    expect((await other.waitForLines(1))[0]).toMatchObject({ id: 1, ok: true });
  });

  it('every bound is an integer >= 1; the path a non-empty string', async () => {
    for (const key of ['maxLineBytes', 'maxConnections', 'idleTimeoutMs', 'maxBufferedBytes', 'maxClientBufferedBytes']) {
      await expect(serveRegistry(new OperationRegistry(), { path: socketPath(), [key]: 0 })).rejects.toThrow(new RangeError(`options.${key} must be an integer >= 1, got 0`));
      await expect(serveRegistry(new OperationRegistry(), { path: socketPath(), [key]: 1.5 })).rejects.toThrow(RangeError);
      const server = await serve(undefined, { [key]: 1 });
      expect(server.connections).toBe(0);
    }
    await expect(serveRegistry(new OperationRegistry(), { path: '' })).rejects.toThrow(new RangeError('options.path must not be empty'));
    await expect(serveRegistry(new OperationRegistry(), 'x' as never)).rejects.toThrow(TypeError);
  });
});
