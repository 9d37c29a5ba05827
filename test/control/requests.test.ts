// Every field of every request the control endpoint reads, and every error it answers with: the
// exact response line for each (mutation testing of src/control/server.ts, docs/reliability.md).
// Real server, real Unix socket, raw bytes from the test.
import { describe, expect, it } from 'vitest';
import { Cancelable, OperationRegistry } from '../../src/index.js';
import { serveRegistry, type ControlRegistry } from '../../src/processes/index.js';
import { controlBench } from './helpers.js';

const { serve, raw, cleanups, socketPath } = controlBench('req');
const isWindows = process.platform === 'win32';

function runOperation(registry: OperationRegistry, name: string, parent?: Cancelable): Cancelable {
  const scope = new Cancelable({ name, register: registry, ...(parent ? { parent } : {}) });
  const done = scope.run((s) => s.sleep(60_000)).catch(() => undefined);
  cleanups.push(async () => {
    scope.cancel();
    await done;
  });
  return scope;
}

/** Sends each request on its own line and returns the response lines, in order. */
async function ask(path: string, requests: (string | Record<string, unknown>)[]): Promise<Record<string, unknown>[]> {
  const client = await raw(path);
  client.write(requests.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n');
  return (await client.waitForLines(requests.length)).slice(0);
}

const fail = (message: string): never => {
  throw new Error(message);
};
const bad = (id: unknown, message: string, code = 'EBADREQUEST'): Record<string, unknown> => ({ id, ok: false, error: { code, message } });
const statusList = 'pending, running, completed, cancelled, failed';

describe('the request line', () => {
  it('blank lines get no answer; anything but a JSON object is refused, named', async () => {
    const server = await serve(new OperationRegistry());
    const client = await raw(server.path);
    client.write('\n  \t \n{"id":1,"op":"stats"}\n');
    await client.waitForLines(1);
    expect(client.lines).toEqual([{ id: 1, ok: true, result: expect.any(Object) }]);
    const lines = await ask(server.path, ['null', '[1]', '"op"', '7', 'tru']);
    expect(lines.slice(0, 4)).toEqual([
      bad(null, 'request must be a JSON object, got null'),
      bad(null, 'request must be a JSON object, got an array of length 1'),
      bad(null, 'request must be a JSON object, got "op"'),
      bad(null, 'request must be a JSON object, got 7'),
    ]);
    expect(lines[4]).toEqual({ id: null, ok: false, error: { code: 'EPARSE', message: expect.stringMatching(/^request is not valid JSON: ./) } });
  });

  it('an id is a string, a number or null, echoed back; anything else is refused with id null', async () => {
    const server = await serve(new OperationRegistry());
    const lines = await ask(server.path, [
      { id: 'a', op: 'stats' },
      { id: 0, op: 'stats' },
      { id: null, op: 'stats' },
      { op: 'stats' },
      { id: true, op: 'stats' },
      { id: [], op: 'stats' },
      { id: 'b', op: 'nope' },
    ]);
    expect(lines.map((l) => [l.id, l.ok])).toEqual([
      ['a', true],
      [0, true],
      [null, true],
      [null, true],
      [null, false],
      [null, false],
      ['b', false],
    ]);
    expect(lines[4]).toEqual(bad(null, 'id must be a string, a number or null, got true'));
    expect(lines[5]).toEqual(bad(null, 'id must be a string, a number or null, got an array of length 0'));
  });

  it('op: a string among the nine; a long unknown one is cut in the message', async () => {
    const server = await serve(new OperationRegistry());
    const expected = 'expected one of list, get, cancel, cancelAll, watch, unwatch, history, stats, info';
    const lines = await ask(server.path, [
      { id: 1, op: 'x'.repeat(40) },
      { id: 2, op: 'y'.repeat(41) },
      { id: 3, op: 42 },
      { id: 4 },
    ]);
    expect(lines).toEqual([
      bad(1, `unknown op "${'x'.repeat(40)}"; ${expected}`, 'EUNKNOWNOP'),
      bad(2, `unknown op "${'y'.repeat(37)}..."; ${expected}`, 'EUNKNOWNOP'),
      bad(3, 'op must be a string, got 42'),
      bad(4, 'op must be a string, got undefined'),
    ]);
  });
});

describe('the ops and their fields', () => {
  it('get and cancel: operationId a non-empty string, message an optional string', async () => {
    const registry = new OperationRegistry();
    const scope = runOperation(registry, 'target');
    const server = await serve(registry);
    const lines = await ask(server.path, [
      { id: 1, op: 'get' },
      { id: 2, op: 'get', operationId: '' },
      { id: 3, op: 'get', operationId: 5 },
      { id: 4, op: 'get', operationId: 'missing' },
      { id: 5, op: 'get', operationId: scope.id },
      { id: 6, op: 'cancel', operationId: scope.id, message: 5 },
      { id: 7, op: 'cancel', operationId: scope.id, message: null },
      { id: 8, op: 'cancel', operationId: 'missing' },
      { id: 9, op: 'cancel', operationId: scope.id, message: 'bye' },
    ]);
    expect(lines.slice(0, 4)).toEqual([
      bad(1, 'operationId must be a non-empty string, got undefined'),
      bad(2, 'operationId must be a non-empty string, got ""'),
      bad(3, 'operationId must be a non-empty string, got 5'),
      { id: 4, ok: true, result: null },
    ]);
    expect(lines[4]).toMatchObject({ id: 5, ok: true, result: { id: scope.id, name: 'target' } });
    expect(lines.slice(5)).toEqual([
      bad(6, 'message must be a string, got 5'),
      bad(7, 'message must be a string, got null'),
      { id: 8, ok: true, result: false },
      { id: 9, ok: true, result: true },
    ]);
    expect(scope.context.cancelMessage).toBe('bye');
  });

  it('cancelAll: a filter and an optional message', async () => {
    const registry = new OperationRegistry();
    const a = runOperation(registry, 'job-a');
    const b = runOperation(registry, 'job-b');
    const other = runOperation(registry, 'other');
    const server = await serve(registry);
    const lines = await ask(server.path, [
      { id: 1, op: 'cancelAll', filter: { name: 'job' }, message: 7 },
      { id: 2, op: 'cancelAll', filter: { name: 'job' }, message: 'maintenance' },
      { id: 3, op: 'cancelAll', filter: { name: 'other' } },
    ]);
    expect(lines).toEqual([bad(1, 'message must be a string, got 7'), { id: 2, ok: true, result: 2 }, { id: 3, ok: true, result: 1 }]);
    expect([a.context.cancelMessage, b.context.cancelMessage, other.isCancelled]).toEqual(['maintenance', 'maintenance', true]);
  });

  it('filter: null or absent selects everything; an object of status, name, parentId; each checked', async () => {
    const registry = new OperationRegistry();
    const parent = runOperation(registry, 'parent');
    const child = new Cancelable({ name: 'child', register: registry, parent });
    const childDone = child.run((s) => s.sleep(60_000)).catch(() => undefined);
    cleanups.push(async () => {
      child.cancel();
      await childDone;
    });
    const server = await serve(registry);
    const names = (line: Record<string, unknown>): unknown => (line.ok ? (line.result as { name: string }[]).map((o) => o.name) : line);
    const lines = await ask(server.path, [
      { id: 1, op: 'list', filter: null },
      { id: 2, op: 'list' },
      { id: 3, op: 'list', filter: { status: 'running' } },
      { id: 4, op: 'list', filter: { status: ['completed', 'running'] } },
      { id: 5, op: 'list', filter: { status: ['running', 'bogus'] } },
      { id: 6, op: 'list', filter: { status: 7 } },
      { id: 7, op: 'list', filter: { parentId: null } },
      { id: 8, op: 'list', filter: { parentId: parent.id } },
      { id: 9, op: 'list', filter: { parentId: 5 } },
      { id: 10, op: 'list', filter: { name: 'CHI' } },
      { id: 11, op: 'list', filter: { name: 5 } },
      { id: 12, op: 'list', filter: { name: '' } },
      { id: 13, op: 'list', filter: 'child' },
      { id: 14, op: 'list', filter: ['child'] },
      { id: 15, op: 'list', filter: { colour: 'red' } },
      { id: 16, op: 'list', filter: {} },
      { id: 17, op: 'list', filter: { status: [] } },
    ]);
    expect(lines.map(names)).toEqual([
      ['parent', 'child'],
      ['parent', 'child'],
      ['parent', 'child'],
      ['parent', 'child'],
      bad(5, `filter.status must be one of ${statusList} (or an array of them), got "bogus"`),
      bad(6, `filter.status must be one of ${statusList} (or an array of them), got 7`),
      ['parent'],
      ['child'],
      bad(9, 'filter.parentId must be a string or null, got 5'),
      ['child'],
      bad(11, 'filter.name must be a string, got 5'),
      bad(12, 'filter.name must not be empty (omit it to select every operation)'),
      bad(13, 'filter must be an object, got "child"'),
      bad(14, 'filter must be an object, got an array of length 1'),
      bad(15, 'unknown filter key "colour"; expected status, name or parentId'),
      ['parent', 'child'],
      [],
    ]);
  });

  it('history: limit an integer >= 0, status one of the statuses, since a finite number', async () => {
    const registry = new OperationRegistry();
    await new Cancelable({ name: 'h1', register: registry }).run(() => undefined);
    await new Cancelable({ name: 'h2', register: registry }).run(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const failed = new Cancelable({ name: 'h3', register: registry });
    await failed.run(() => Promise.reject(new Error('boom'))).catch(() => undefined);
    const server = await serve(registry);
    const names = (line: Record<string, unknown>): unknown => (line.ok ? (line.result as { name: string }[]).map((o) => o.name) : line);
    // The registry's own clock: h3 ended 30 ms or more after the others.
    const middle = registry.history().find((o) => o.name === 'h3')!.endTime!;
    const lines = await ask(server.path, [
      { id: 1, op: 'history' },
      { id: 2, op: 'history', limit: 0 },
      { id: 3, op: 'history', limit: 1 },
      { id: 4, op: 'history', limit: -1 },
      { id: 5, op: 'history', limit: 1.5 },
      { id: 6, op: 'history', limit: '1' },
      { id: 7, op: 'history', status: 'failed' },
      { id: 8, op: 'history', status: 'bogus' },
      { id: 9, op: 'history', status: 1 },
      { id: 10, op: 'history', since: middle },
      { id: 11, op: 'history', since: Date.now() + 60_000 },
      { id: 12, op: 'history', since: '1' },
      { id: 13, op: 'history', since: null },
    ]);
    const all = (lines[0]!.result as { name: string }[]).map((o) => o.name);
    expect(all.sort()).toEqual(['h1', 'h2', 'h3']);
    expect(lines.slice(1).map(names)).toEqual([
      [],
      [expect.any(String)],
      bad(4, 'limit must be an integer >= 0, got -1'),
      bad(5, 'limit must be an integer >= 0, got 1.5'),
      bad(6, 'limit must be an integer >= 0, got "1"'),
      ['h3'],
      bad(8, `status must be one of ${statusList}, got "bogus"`),
      bad(9, `status must be one of ${statusList}, got 1`),
      ['h3'],
      [],
      bad(12, 'since must be epoch milliseconds, got "1"'),
      bad(13, 'since must be epoch milliseconds, got null'),
    ]);
  });

  it('info says which process answers and since when', async () => {
    const before = Date.now();
    const server = await serve(new OperationRegistry());
    const after = Date.now();
    const [line] = await ask(server.path, [{ id: 1, op: 'info' }]);
    expect(line).toEqual({
      id: 1,
      ok: true,
      result: {
        pid: process.pid,
        ppid: process.ppid,
        title: process.title,
        argv: process.argv,
        cwd: process.cwd(),
        node: process.version,
        listeningSince: expect.any(Number),
      },
    });
    const since = (line!.result as { listeningSince: number }).listeningSince;
    expect(since).toBeGreaterThanOrEqual(before);
    expect(since).toBeLessThanOrEqual(after);
  });

  it('watch and unwatch: watchId must be the id of the watch; a wrong one is false', async () => {
    const registry = new OperationRegistry();
    const server = await serve(registry);
    const lines = await ask(server.path, [
      { id: 1, op: 'unwatch', watchId: 1 },
      { id: null, op: 'watch' },
      { id: 3, op: 'unwatch', watchId: 'x' },
      { id: 4, op: 'unwatch', watchId: {} },
      { id: 5, op: 'unwatch' },
      { id: 6, op: 'unwatch', watchId: null },
      { id: 7, op: 'unwatch', watchId: null },
      { id: 'w', op: 'watch' },
      { id: 9, op: 'unwatch', watchId: 'w' },
    ]);
    expect(lines).toEqual([
      { id: 1, ok: true, result: false },
      { id: null, ok: true, result: { watching: true } },
      { id: 3, ok: true, result: false },
      bad(4, 'watchId must be the id of a watch request, got an object'),
      bad(5, 'watchId must be the id of a watch request, got undefined'),
      { id: 6, ok: true, result: true },
      { id: 7, ok: true, result: false },
      { id: 'w', ok: true, result: { watching: true } },
      { id: 9, ok: true, result: true },
    ]);
  });
});

describe('what the registry answers or throws', () => {
  function registryWith(overrides: Partial<ControlRegistry>): ControlRegistry {
    const real = new OperationRegistry();
    return Object.assign(Object.create(real) as OperationRegistry, overrides);
  }

  it('a TypeError or RangeError is a bad request; another error EINTERNAL; a thrown non-error by its text', async () => {
    const server = await serve(
      registryWith({
        get: () => {
          throw new TypeError('bad type');
        },
        cancel: () => {
          throw new RangeError('bad range');
        },
        stats: () => {
          throw new Error('broken');
        },
        history: () => {
          throw 'a string'; // eslint-disable-line @typescript-eslint/only-throw-error -- what a foreign registry may do
        },
      }),
    );
    const lines = await ask(server.path, [
      { id: 1, op: 'get', operationId: 'x' },
      { id: 2, op: 'cancel', operationId: 'x' },
      { id: 3, op: 'stats' },
      { id: 4, op: 'history' },
    ]);
    expect(lines).toEqual([bad(1, 'bad type'), bad(2, 'bad range'), bad(3, 'broken', 'EINTERNAL'), bad(4, 'a string', 'EINTERNAL')]);
  });

  it('undefined is sent as null; BigInts as strings; a cycle as [Circular]; what cannot be encoded is EINTERNAL', async () => {
    const cyclic: Record<string, unknown> = { n: 1n, nothing: null };
    cyclic.self = cyclic;
    cyclic.list = [cyclic];
    const shared = { id: 'same', name: 'twice' };
    const server = await serve(
      registryWith({
        list: () => [shared, shared] as never, // the same object twice is no cycle
        // Fails once, then encodes: only a TypeError (a cycle) is worth a second attempt.
        cancel: () => {
          let calls = 0;
          return { toJSON: () => (calls++ === 0 ? fail('once') : 'second time') } as never;
        },
        get: () => undefined,
        stats: () => cyclic,
        history: () => [{ toJSON: () => { throw new Error('no JSON for you'); } }] as never,
        cancelAll: () => ({ toJSON: () => { throw new TypeError('still no JSON'); } }) as never,
      }),
    );
    const lines = await ask(server.path, [
      { id: 1, op: 'get', operationId: 'x' },
      { id: 2, op: 'stats' },
      { id: 3, op: 'history' },
      { id: 4, op: 'cancelAll' },
      { id: 5, op: 'list' },
      { id: 6, op: 'cancel', operationId: 'x' },
    ]);
    expect(lines).toEqual([
      { id: 1, ok: true, result: null },
      { id: 2, ok: true, result: { n: '1', nothing: null, self: '[Circular]', list: ['[Circular]'] } },
      bad(3, 'the result could not be encoded as JSON: no JSON for you', 'EINTERNAL'),
      bad(4, 'the result could not be encoded as JSON: still no JSON', 'EINTERNAL'),
      { id: 5, ok: true, result: [shared, shared] },
      bad(6, 'the result could not be encoded as JSON: once', 'EINTERNAL'),
    ]);
  });

  it('a bad filter never reaches the registry (one that would take an empty name as "everything")', async () => {
    const seen: unknown[] = [];
    const server = await serve(
      registryWith({
        list: (filter) => (seen.push(filter), []),
        cancelAll: (filter) => (seen.push(filter), 99),
        stats: () => undefined as never,
      }),
    );
    const lines = await ask(server.path, [
      { id: 1, op: 'cancelAll', filter: { name: '' } },
      { id: 2, op: 'list', filter: { name: '' } },
      { id: 3, op: 'list', filter: { parentId: 5 } },
      { id: 4, op: 'list', filter: { status: 'bogus' } },
      { id: 5, op: 'list', filter: { name: 'x' } },
      { id: 6, op: 'stats' },
    ]);
    expect(lines).toEqual([
      bad(1, 'filter.name must not be empty (omit it to select every operation)'),
      bad(2, 'filter.name must not be empty (omit it to select every operation)'),
      bad(3, 'filter.parentId must be a string or null, got 5'),
      bad(4, `filter.status must be one of ${statusList} (or an array of them), got "bogus"`),
      { id: 5, ok: true, result: [] },
      { id: 6, ok: true, result: null }, // undefined has no JSON: null
    ]);
    expect(seen).toEqual([{ name: 'x' }]);
  });

  it('checks the registry and the options it is given', async () => {
    await expect(serveRegistry(new OperationRegistry(), 'x' as never)).rejects.toThrow(new TypeError('options must be an options object, got "x"'));
    await expect(serveRegistry(new OperationRegistry(), { path: 5 as never })).rejects.toThrow(new TypeError('options.path must be a string, got 5'));
    if (!isWindows) {
      const long = `/${'l'.repeat(107)}`;
      await expect(serveRegistry(new OperationRegistry(), { path: long })).rejects.toThrow(
        new RangeError(`options.path is 108 bytes long; Unix socket paths are limited to ${process.platform === 'linux' ? 107 : 103} bytes: ${long}`),
      );
    }
    await expect(serveRegistry(null as never, { path: socketPath() })).rejects.toThrow(new TypeError('registry must be an OperationRegistry, got null'));
    await expect(serveRegistry(7 as never, { path: socketPath() })).rejects.toThrow(new TypeError('registry must be an OperationRegistry, got 7'));
    for (const method of ['list', 'get', 'cancel', 'cancelAll', 'history', 'stats', 'subscribe']) {
      const registry = registryWith({ [method]: 'not a function' });
      await expect(serveRegistry(registry, { path: socketPath() })).rejects.toThrow(`registry must be an OperationRegistry (missing ${method}())`);
    }
  });
});
