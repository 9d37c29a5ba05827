/**
 * The dashboard's HTTP API on a real server (127.0.0.1): reads, the three actions and what guards
 * them (read-only, authorize, CSRF), and hostile input (ids, filters, methods, bodies).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServedDashboard } from '../../src/dashboard/index.js';
import { Workload, serve } from './fixtures.js';
import { action, actionHeaders, openEvents, request, until } from './helpers.js';

let workload: Workload;
let served: ServedDashboard | undefined;

async function setup(options: Parameters<typeof serve>[1] = {}): Promise<string> {
  workload = new Workload();
  served = await serve(workload, options);
  return served.url;
}

afterEach(async () => {
  await served?.close();
  served = undefined;
  await workload?.stopAll();
});

describe('reads', () => {
  it('lists live operations with status, progress, parent; filters by name substring and status; pages', async () => {
    const url = await setup();
    const batch = workload.start('Import-Batch', { children: ['import-users', 'import-orders'] });
    workload.start('nightly-report', { progressMs: 20 });
    await until(() => workload.registry.size === 4);
    await until(async () => (await request(url, 'api/operations?name=nightly')).json.rows[0]?.progress !== null);
    const all = await request(url, 'api/operations');
    expect(all.status).toBe(200);
    expect(all.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(all.headers['x-content-type-options']).toBe('nosniff');
    expect(all.headers['cache-control']).toBe('no-store');
    expect(all.json.source).toEqual({ kind: 'registry', description: `process ${process.pid}` });
    expect(all.json.total).toBe(4);
    const users = all.json.rows.find((row: { name: string }) => row.name === 'import-users');
    expect(users).toMatchObject({ status: 'running', parentId: batch.id, cancelReason: null });
    const imports = await request(url, 'api/operations?name=IMPORT');
    expect(imports.json.rows.map((row: { name: string }) => row.name).sort()).toEqual(['Import-Batch', 'import-orders', 'import-users']);
    const report = await request(url, 'api/operations?name=nightly&status=running');
    expect(report.json.rows[0].progress.message).toMatch(/^step \d+$/);
    const page = await request(url, 'api/operations?offset=1&limit=2');
    expect(page.json).toMatchObject({ total: 4, offset: 1, limit: 2 });
    expect(page.json.rows).toHaveLength(2);
    expect((await request(url, 'api/operations?status=failed')).json.rows).toEqual([]);
  });

  it("an operation's detail: context, parent chain, children, a bounded progress timeline", async () => {
    const url = await setup({ progressHistory: 5 });
    const root = workload.start('root', { metadata: { tenant: 'acme' } });
    await until(() => workload.registry.size === 1);
    const middle = workload.start('middle', { parent: root });
    await until(() => workload.registry.size === 2);
    const leaf = workload.start('leaf', { parent: middle, progressMs: 5 });
    await until(async () => {
      const progress = (await request(url, `api/operations/${leaf.id}`)).json?.progress;
      return progress?.length === 5 && Number(progress[4].message.slice(5)) >= 8; // more reports than kept
    });
    const detail = (await request(url, `api/operations/${leaf.id}`)).json;
    expect(detail.operation).toMatchObject({ id: leaf.id, name: 'leaf', status: 'running', parentId: middle.id });
    expect(detail.parents).toEqual([
      { id: root.id, name: 'root', status: 'running' },
      { id: middle.id, name: 'middle', status: 'running' },
    ]);
    const steps = detail.progress.map((point: { message: string }) => Number(point.message.slice(5)));
    expect(steps).toHaveLength(5);
    expect(steps).toEqual([...steps].sort((a, b) => a - b)); // oldest first, the newest kept
    expect(steps[0]).toBeGreaterThan(1);
    const rootDetail = (await request(url, `api/operations/${root.id}`)).json;
    expect(rootDetail.operation.metadata).toEqual({ tenant: 'acme' });
    expect(rootDetail.children).toEqual([{ id: middle.id, name: 'middle', status: 'running' }]);
    expect((await request(url, 'api/operations/no-such-id')).status).toBe(404);
  });

  it('history: outcome and reason of ended operations, newest first, filtered', async () => {
    const url = await setup({ lingerMs: 0 });
    await workload.finish('fine-job', 'complete');
    await workload.finish('broken-job', 'fail');
    await workload.finish('slow-job', 'timeout');
    const history = await request(url, 'api/history');
    expect(history.json.rows.map((row: { name: string; status: string; cancelReason: string | null; error: string | null }) => [row.name, row.status, row.cancelReason, row.error])).toEqual([
      ['slow-job', 'cancelled', 'timeout', null],
      ['broken-job', 'failed', null, 'bad input 42'],
      ['fine-job', 'completed', null, null],
    ]);
    expect((await request(url, 'api/history?status=failed')).json.rows.map((row: { name: string }) => row.name)).toEqual(['broken-job']);
    expect((await request(url, 'api/history?name=JOB&limit=1')).json.rows).toHaveLength(1);
    const ended = history.json.rows[0];
    const detail = await request(url, `api/operations/${ended.id}`);
    expect(detail.json.operation).toMatchObject({ name: 'slow-job', status: 'cancelled', cancelReason: 'timeout' });
  });

  it('an ended operation lingers in the live list with its final status, then leaves it', async () => {
    const url = await setup({ lingerMs: 300 });
    const scope = workload.start('short-lived');
    await until(() => workload.registry.size === 1);
    await request(url, 'api/operations'); // the store is watching
    scope.cancel('done with it');
    await until(async () => (await request(url, 'api/operations')).json.rows[0]?.status === 'cancelled');
    expect((await request(url, 'api/operations')).json.rows[0]).toMatchObject({ cancelReason: 'manual', cancelMessage: 'done with it' });
    await until(async () => (await request(url, 'api/operations')).json.total === 0, 3_000);
  });

  it('the event stream sends every operation, then batched changes and removals', async () => {
    const url = await setup({ lingerMs: 200, updateIntervalMs: 20 });
    const first = workload.start('streamed', { progressMs: 10 });
    await until(() => workload.registry.size === 1);
    const events = await openEvents(url);
    try {
      expect((await events.waitFor((e) => e.event === 'reset')).data).toEqual({});
      await events.waitFor((e) => e.event === 'ops' && e.data.rows.some((row: { id: string }) => row.id === first.id));
      await events.waitFor((e) => e.event === 'ops' && e.data.rows.some((row: { progress: { message: string } | null }) => Number(row.progress?.message.slice(5)) >= 5));
      const second = workload.start('late-comer');
      await events.waitFor((e) => e.event === 'ops' && e.data.rows.some((row: { id: string }) => row.id === second.id));
      second.cancel();
      await events.waitFor((e) => e.event === 'ops' && e.data.rows.some((row: { id: string; status: string }) => row.id === second.id && row.status === 'cancelled'));
      await events.waitFor((e) => e.event === 'ops' && e.data.removed.includes(second.id));
      const last = events.events.filter((e) => e.event === 'ops').at(-1)!;
      expect(last.data.stats.running).toBe(1);
      // Batched: far fewer messages than progress reports.
      const reports = Number(/\d+/.exec(workload.registry.get(first.id)!.context.progress!.message)![0]);
      expect(events.events.length).toBeLessThan(reports + 10);
    } finally {
      events.close();
    }
  });
});

describe('actions', () => {
  it('cancel: the operation is cancelled with reason manual and the message; again says already cancelled', async () => {
    const url = await setup();
    const scope = workload.start('victim');
    await until(() => workload.registry.size === 1);
    const reply = await action(url, `api/operations/${scope.id}/cancel`, { message: 'Stopped by ops (ticket 42)' });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ found: true, cancelled: true });
    await until(() => workload.outcomes.has('victim'));
    expect(workload.outcomes.get('victim')).toEqual({ status: 'cancelled', reason: 'manual', message: 'Stopped by ops (ticket 42)' });
    expect((await action(url, `api/operations/${scope.id}/cancel`, {})).status).toBe(404);
    expect((await action(url, 'api/operations/unknown/cancel', {})).json.error.code).toBe('ENOTFOUND');
  });

  it('cancel without a message uses the default one; a second cancel of a cancelling one reports cancelled false', async () => {
    const url = await setup();
    let release: () => void = () => {};
    const { Cancelable } = await import('../../src/index.js');
    const stubborn = new Cancelable({ name: 'stubborn', register: workload.registry, graceMs: 10_000 });
    const run = stubborn.run(() => new Promise<void>((resolve) => (release = resolve)));
    await until(() => workload.registry.size === 1);
    expect((await action(url, `api/operations/${stubborn.id}/cancel`, {})).json).toEqual({ found: true, cancelled: true });
    expect(stubborn.cancelError?.message).toBe('Cancelled from the dashboard');
    expect((await action(url, `api/operations/${stubborn.id}/cancel`, { message: 'again' })).json).toEqual({ found: true, cancelled: false });
    expect((await request(url, 'api/operations')).json.rows[0].requested).toBe('again');
    release();
    await run;
  });

  it('cancel subtree: the operation and every descendant, each with reason manual and the message', async () => {
    const url = await setup();
    const batch = workload.start('batch', { children: ['part-a', 'part-b'] });
    workload.start('bystander');
    await until(() => workload.registry.size === 4);
    await request(url, 'api/operations');
    const reply = await action(url, `api/operations/${batch.id}/cancel-subtree`, { message: 'Abort the batch' });
    expect(reply.json).toEqual({ matched: 3, cancelled: 3 });
    await until(() => workload.outcomes.size === 3);
    for (const name of ['batch', 'part-a', 'part-b']) {
      expect(workload.outcomes.get(name)).toEqual({ status: 'cancelled', reason: 'manual', message: 'Abort the batch' });
    }
    expect(workload.registry.list().map((op) => op.name)).toEqual(['bystander']);
  });

  it('cancel by filter: running operations whose name contains the substring, newest first; an empty filter is refused', async () => {
    const url = await setup();
    workload.start('upload-a');
    workload.start('UPLOAD-b');
    workload.start('download-c');
    await until(() => workload.registry.size === 3);
    expect((await action(url, 'api/cancel', { filter: {}, message: 'x' })).status).toBe(400);
    expect((await action(url, 'api/cancel', { filter: { name: '' } })).status).toBe(400);
    const reply = await action(url, 'api/cancel', { filter: { name: 'upload' }, message: 'Maintenance' });
    expect(reply.json).toEqual({ matched: 2, cancelled: 2 });
    await until(() => workload.outcomes.size === 2);
    expect(workload.outcomes.get('UPLOAD-b')).toEqual({ status: 'cancelled', reason: 'manual', message: 'Maintenance' });
    expect(workload.registry.list().map((op) => op.name)).toEqual(['download-c']);
  });

  it('readOnly: the API refuses every action (403) and the page says read-only', async () => {
    const url = await setup({ readOnly: true });
    const scope = workload.start('protected');
    await until(() => workload.registry.size === 1);
    for (const [path, body] of [
      [`api/operations/${scope.id}/cancel`, {}],
      [`api/operations/${scope.id}/cancel-subtree`, {}],
      ['api/cancel', { filter: { name: 'protected' } }],
    ] as const) {
      const reply = await action(url, path, body);
      expect(reply.status).toBe(403);
      expect(reply.json.error.code).toBe('EREADONLY');
    }
    expect(workload.registry.get(scope.id)?.isCancelled).toBe(false);
    expect((await request(url, '')).text).toContain('"readOnly":true');
    expect((await request(url, 'api/stats')).json.readOnly).toBe(true);
  });

  it('authorize: sees the request and the action; false or a throw is 403, an async true allows', async () => {
    const seen: unknown[] = [];
    let verdict: () => boolean | Promise<boolean> = () => false;
    const url = await setup({
      authorize: (req, act) => {
        seen.push({ user: (req as { headers: Record<string, string> }).headers['x-user'], act });
        return verdict();
      },
    });
    const scope = workload.start('gated');
    await until(() => workload.registry.size === 1);
    const denied = await action(url, `api/operations/${scope.id}/cancel`, { message: 'no' }, { 'x-user': 'mallory' });
    expect(denied.status).toBe(403);
    expect(denied.json.error.code).toBe('EFORBIDDEN');
    expect(seen).toEqual([{ user: 'mallory', act: { type: 'cancel', id: scope.id, message: 'no' } }]);
    verdict = () => {
      throw new Error('auth backend down');
    };
    expect((await action(url, `api/operations/${scope.id}/cancel`, {})).status).toBe(403);
    expect(workload.registry.get(scope.id)?.isCancelled).toBe(false);
    verdict = () => new Promise((resolve) => setTimeout(() => resolve(true), 5));
    const filter = await action(url, 'api/cancel', { filter: { name: 'gat' }, message: 'ok' }, { 'x-user': 'alice' });
    expect(filter.json).toEqual({ matched: 1, cancelled: 1 });
    expect(seen.at(-1)).toEqual({ user: 'alice', act: { type: 'cancelFilter', filter: { name: 'gat' }, message: 'ok' } });
  });
});

describe('hostile input', () => {
  it('CSRF: an action needs JSON, the custom header, a same-origin Origin and Sec-Fetch-Site', async () => {
    const url = await setup({ allowedOrigins: ['https://ops.example.com'] });
    const scope = workload.start('target');
    await until(() => workload.registry.size === 1);
    const path = `api/operations/${scope.id}/cancel`;
    const body = JSON.stringify({ message: 'csrf' });
    const host = new URL(url).host;
    const post = (headers: Record<string, string>) => request(url, path, { method: 'POST', headers, body });
    expect((await post({ 'content-type': 'text/plain', 'x-cancelable-dashboard': '1' })).status).toBe(415);
    expect((await post({ 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect((await post({ 'content-type': 'application/json' })).json.error.code).toBe('ECSRF');
    expect((await post({ ...actionHeaders, origin: 'https://evil.example' })).status).toBe(403);
    expect((await post({ ...actionHeaders, origin: 'null' })).status).toBe(403);
    expect((await post({ ...actionHeaders, origin: `http://${host}`, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(workload.registry.get(scope.id)?.isCancelled).toBe(false);
    expect((await post({ ...actionHeaders, origin: 'https://ops.example.com' })).status).toBe(200);
    const other = workload.start('target-2');
    await until(() => workload.registry.get(other.id) !== undefined);
    const same = await request(url, `api/operations/${other.id}/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'x-cancelable-dashboard': '1', origin: `http://${host}`, 'sec-fetch-site': 'same-origin' },
      body,
    });
    expect(same.status).toBe(200);
  });

  it('methods: no state change on GET; wrong methods get 405 with Allow', async () => {
    const url = await setup();
    const scope = workload.start('safe');
    await until(() => workload.registry.size === 1);
    const get = await request(url, `api/operations/${scope.id}/cancel`);
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect((await request(url, 'api/cancel?filter=safe')).status).toBe(405);
    const post = await request(url, 'api/operations', { method: 'POST', headers: actionHeaders, body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect((await request(url, `api/operations/${scope.id}`, { method: 'DELETE' })).status).toBe(405);
    expect((await request(url, '', { method: 'PUT' })).status).toBe(405);
    expect((await request(url, 'api/nope')).status).toBe(404);
    expect((await request(url, 'api/operations/a/b/c')).status).toBe(404);
    const head = await request(url, 'api/operations', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(workload.registry.get(scope.id)?.isCancelled).toBe(false);
  });

  it('ids: malformed encoding, control characters and overlong ids are 400; odd but valid ids work', async () => {
    const url = await setup();
    const odd = workload.start('odd', { id: 'tenant/42 <b>&"x"' });
    await until(() => workload.registry.size === 1);
    expect((await request(url, 'api/operations/%E0%A4%A')).status).toBe(400);
    expect((await request(url, 'api/operations/a%00b')).json.error.code).toBe('EBADID');
    expect((await request(url, `api/operations/${'x'.repeat(300)}`)).status).toBe(400);
    expect((await action(url, 'api/operations/%0a/cancel', {})).status).toBe(400);
    const detail = await request(url, `api/operations/${encodeURIComponent(odd.id)}`);
    expect(detail.json.operation.id).toBe('tenant/42 <b>&"x"');
    expect((await action(url, `api/operations/${encodeURIComponent(odd.id)}/cancel`, {})).json.cancelled).toBe(true);
  });

  it('filters and queries: bounded, single, known, valid', async () => {
    const url = await setup();
    expect((await request(url, `api/operations?name=${'a'.repeat(201)}`)).status).toBe(400);
    expect((await request(url, 'api/operations?name=a&name=b')).status).toBe(400);
    expect((await request(url, 'api/operations?regex=.*')).json.error.code).toBe('EBADQUERY');
    expect((await request(url, 'api/operations?status=zombie')).status).toBe(400);
    expect((await request(url, 'api/operations?limit=-1')).status).toBe(400);
    expect((await request(url, 'api/operations?limit=1e3')).status).toBe(400);
    expect((await request(url, 'api/history?limit=999999999')).status).toBe(400);
    expect((await request(url, 'api/operations?name=(a%2B)%2B%24')).status).toBe(200); // a substring, never a RegExp
    expect((await action(url, 'api/cancel', { filter: { name: 'x', regex: '.*' } })).status).toBe(400);
    expect((await action(url, 'api/cancel', { filter: { name: ['a'] } })).status).toBe(400);
    expect((await action(url, 'api/cancel', { filter: 'everything' })).status).toBe(400);
  });

  it('bodies: capped (declared or streamed), JSON objects only, known fields, bounded message', async () => {
    const url = await setup({ maxBodyBytes: 1024 });
    const scope = workload.start('body-target');
    await until(() => workload.registry.size === 1);
    const path = `api/operations/${scope.id}/cancel`;
    const big = JSON.stringify({ message: 'x'.repeat(5000) });
    const declared = await request(url, path, { method: 'POST', headers: { ...actionHeaders, 'content-length': String(big.length) }, body: big });
    expect(declared.status).toBe(413);
    expect(declared.headers.connection).toBe('close');
    const streamed = await request(url, path, { method: 'POST', headers: { ...actionHeaders, 'transfer-encoding': 'chunked' }, body: big, chunked: true });
    expect(streamed.status).toBe(413);
    expect((await request(url, path, { method: 'POST', headers: actionHeaders, body: '{"message": ' })).json.error.code).toBe('EBADBODY');
    expect((await request(url, path, { method: 'POST', headers: actionHeaders, body: '[1,2]' })).status).toBe(400);
    expect((await request(url, path, { method: 'POST', headers: actionHeaders, body: '' })).status).toBe(400);
    expect((await action(url, path, { message: 'ok', reason: 'timeout' })).status).toBe(400);
    expect((await action(url, path, { message: 42 })).status).toBe(400);
    expect(workload.registry.get(scope.id)?.isCancelled).toBe(false);
    const longMessage = await request(url, path, { method: 'POST', headers: actionHeaders, body: JSON.stringify({ message: 'y'.repeat(1001) }) });
    expect(longMessage.status).toBe(400);
  });

  it('a raw socket sending garbage or half a request never crashes the server', async () => {
    const url = await setup();
    const { port } = new URL(url);
    for (const payload of ['GARBAGE\r\n\r\n', 'POST /api/cancel HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"fil', '\u0000\u0001\u0002']) {
      await new Promise<void>((resolve) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => {
          socket.write(payload);
          setTimeout(() => socket.destroy(), 50);
        });
        socket.on('error', () => undefined);
        socket.on('close', () => resolve());
      });
    }
    expect((await request(url, 'api/stats')).status).toBe(200);
  });

  it('paths outside the dashboard: basePath strips its prefix, redirects to the trailing slash, 404s the rest', async () => {
    const url = await setup({ basePath: '/ops' });
    expect(url).toMatch(/\/ops\/$/);
    const origin = new URL(url).origin;
    const bare = await request(origin, '/ops');
    expect(bare.status).toBe(302);
    expect(bare.headers.location).toBe('ops/');
    const page = await request(origin, '/ops/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]+'/);
    expect((await request(origin, '/ops/api/stats')).status).toBe(200);
    expect((await request(origin, '/other')).status).toBe(404);
    expect((await request(origin, '/opsx/api/stats')).status).toBe(404);
  });
});

describe('the page', () => {
  it('is one self-contained document: nonce on its only style and script, no external URL, strict CSP', async () => {
    const url = await setup({ title: '</script><script>alert(1)</script>' });
    const page = await request(url, '');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = page.headers['content-security-policy'] as string;
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.text.match(/<script/g)).toHaveLength(2); // the JSON config block and the nonce'd script
    expect(page.text).toContain(`<script nonce="${nonce}">`);
    expect(page.text).toContain(`<style nonce="${nonce}">`);
    expect(page.text).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(page.text).not.toContain('</script><script>alert(1)');
    expect(page.text).toContain('\\u003c/script\\u003e');
    const again = await request(url, '');
    expect(again.headers['content-security-policy']).not.toBe(csp); // a fresh nonce per response
  });
});
