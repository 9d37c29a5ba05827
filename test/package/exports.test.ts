// The published shape: every entry point loads as ESM and as CommonJS (in a plain `node` process,
// through the package's own "exports"), ships type declarations for both, and the two builds agree.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../harness/build.js';

const root = resolve(import.meta.dirname, '../..');
const entries = {
  'cancelable-ts': ['Cancelable', 'CancelationToken', 'TimeoutCancelation', 'cancelableStream', 'OperationRegistry', 'cancelable'],
  'cancelable-ts/worker': ['SharedCancelationToken', 'workerMain', 'runInWorker', 'WorkerError'],
  'cancelable-ts/process': ['spawn', 'fork', 'fromParentProcess', 'ResourceConditionSource', 'serveRegistry'],
  'cancelable-ts/testing': ['ManualClock', 'MockCancelationToken', 'simulateStream'],
  'cancelable-ts/otel': ['instrument', 'uninstrument'],
  'cancelable-ts/dashboard': ['dashboard', 'serveDashboard', 'registrySource', 'fleetSource', 'controlSource', 'fastifyDashboard', 'koaDashboard', 'honoDashboard'],
  'cancelable-ts/redis': ['createRedisCancelation', 'connectRedisCancelation', 'fleetFromUrl', 'RemoteCancelation', 'RemoteSource'],
  'cancelable-ts/postgres': ['createPostgresCancelation', 'connectPostgresCancelation', 'fleetFromUrl', 'RemoteCancelation', 'RemoteSource'],
  'cancelable-ts/http': ['requestScope', 'handleRequest', 'statusFor', 'fetch', 'createFetch', 'deadlineInterceptor', 'gracefulShutdown', 'sse', 'ndjson', 'parseGrpcTimeout', 'formatGrpcTimeout'],
  'cancelable-ts/bullmq': ['cancelableProcessor', 'JobCancelledError', 'RemoteCancelation', 'RemoteSource'],
  'cancelable-ts/express': ['requestScope', 'routeTimeout', 'cancelationErrors'],
  'cancelable-ts/fastify': ['cancelablePlugin'],
  'cancelable-ts/hono': ['requestScope', 'routeTimeout', 'cancelationErrors'],
  'cancelable-ts/koa': ['requestScope', 'routeTimeout'],
} as const;

/** Runs `code` in a fresh node process from the package root; returns its stdout. */
function node(code: string, type: 'module' | 'commonjs'): string {
  const flag = type === 'module' ? '--input-type=module' : '--input-type=commonjs';
  return execFileSync(process.execPath, [flag, '-e', code], { cwd: root, encoding: 'utf8', timeout: 30_000 });
}

describe('package entry points', () => {
  beforeAll(() => {
    ensureBuilt();
  }, 120_000);

  for (const [entry, names] of Object.entries(entries)) {
    it(`${entry}: ESM and CommonJS export the same names, with declarations for both`, () => {
      const list = JSON.stringify(names);
      const esm = node(`const m = await import(${JSON.stringify(entry)}); console.log(JSON.stringify(${list}.map((n) => typeof m[n])));`, 'module');
      const cjs = node(`const m = require(${JSON.stringify(entry)}); console.log(JSON.stringify(${list}.map((n) => typeof m[n])));`, 'commonjs');
      expect(JSON.parse(esm)).toEqual(names.map(() => 'function'));
      expect(JSON.parse(cjs)).toEqual(names.map(() => 'function'));
      const exportsMap = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
        exports: Record<string, { import: { types: string }; require: { types: string } }>;
      }).exports;
      const key = entry === 'cancelable-ts' ? '.' : `./${entry.slice('cancelable-ts/'.length)}`;
      expect(existsSync(join(root, exportsMap[key]!.import.types))).toBe(true);
      expect(existsSync(join(root, exportsMap[key]!.require.types))).toBe(true);
    });
  }

  it('a scope from the CommonJS build times out like the ESM one, with its own error class', () => {
    const code = `
      const { Cancelable, TimeoutCancelation, isCancelation } = require('cancelable-ts');
      Cancelable.withTimeout(5).run((s) => s.sleep(10_000)).catch((e) => {
        console.log(JSON.stringify([e instanceof TimeoutCancelation, e.reason, isCancelation(e)]));
      });`;
    expect(JSON.parse(node(code, 'commonjs'))).toEqual([true, 'timeout', true]);
  });
});
