// SPEC §13: the declarations compile with TypeScript 5.0 (the oldest supported; installed in
// test/types-compat from its own lockfile) and with the current one; the main entry's also without
// @types/node (`types: []`, browser and edge projects). A consumer project in a scratch folder imports
// the package by name through node_modules, with skipLibCheck off so that our .d.ts files are checked.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../harness/build.js';
import { root } from './dist-graph.js';

const compat = join(root, 'test/types-compat');
const tsc50 = join(compat, 'node_modules/typescript/bin/tsc');
const tscCurrent = join(root, 'node_modules/typescript/bin/tsc');
let scratch: string;

const mainApp = `
import { Cancelable, CancelationToken, isCancelation, TimeoutCancelation, withTimeout, type CancelableOptions } from 'cancelable-ts';
const options: CancelableOptions = { name: 'job', timeout: 1_000 };
export const value: Promise<number> = withTimeout(100, async (scope) => {
  await scope.sleep(1);
  const signal: AbortSignal = scope.signal;
  return signal.aborted ? 0 : 1;
}, options);
export const token = new CancelationToken();
export const combined = Cancelable.combine([token, Cancelable.withTimeout(50), new AbortController().signal]);
export async function read(stream: ReadableStream<string>): Promise<string[]> {
  const seen: string[] = [];
  await Cancelable.withTimeout(100).run(async (scope) => {
    for await (const chunk of scope.stream(stream)) seen.push(chunk);
  });
  return seen;
}
export const check = (error: unknown): boolean => isCancelation(error) || error instanceof TimeoutCancelation;
`;

const allEntries = `
import { Cancelable } from 'cancelable-ts';
import { runInWorker, SharedCancelationToken } from 'cancelable-ts/worker';
import { spawn, fork, fromParentProcess } from 'cancelable-ts/process';
import { ManualClock } from 'cancelable-ts/testing';
import { createRedisCancelation } from 'cancelable-ts/redis';
import { createPostgresCancelation } from 'cancelable-ts/postgres';
import { cancelableProcessor } from 'cancelable-ts/bullmq';
import { instrument } from 'cancelable-ts/otel';
import { dashboard } from 'cancelable-ts/dashboard';
export const all = [Cancelable, runInWorker, SharedCancelationToken, spawn, fork, fromParentProcess, ManualClock,
  createRedisCancelation, createPostgresCancelation, cancelableProcessor, instrument, dashboard];
`;

const commonJsApp = `
import { Cancelable, TimeoutCancelation } from 'cancelable-ts';
import { runInWorker } from 'cancelable-ts/worker';
export const all = [Cancelable, TimeoutCancelation, runInWorker];
`;

/** Writes a project and type-checks it with `tsc`; returns the diagnostics ('' when none). */
function typecheck(tsc: string, name: string, files: Record<string, string>, compilerOptions: Record<string, unknown>): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  const config = { compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, target: 'ES2022', ...compilerOptions }, files: Object.keys(files) };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config));
  try {
    execFileSync(process.execPath, [tsc, '-p', dir], { cwd: scratch, encoding: 'utf8', timeout: 120_000 });
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}

beforeAll(() => {
  ensureBuilt();
  if (!existsSync(tsc50)) {
    execFileSync('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: compat, stdio: 'pipe', timeout: 120_000 });
  }
  scratch = mkdtempSync(join(tmpdir(), 'cancelable-types-'));
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  mkdirSync(join(scratch, 'node_modules/@types'), { recursive: true });
  symlinkSync(root, join(scratch, 'node_modules/cancelable-ts'), 'dir');
  symlinkSync(join(root, 'node_modules/@types/node'), join(scratch, 'node_modules/@types/node'), 'dir');
}, 180_000);

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('declarations', () => {
  it('TypeScript 5.0 is the compiler under test', () => {
    expect(execFileSync(process.execPath, [tsc50, '--version'], { encoding: 'utf8' })).toContain('Version 5.0.');
  });

  it('the main entry compiles with TypeScript 5.0 and no @types/node (NodeNext)', () => {
    const out = typecheck(tsc50, 'main-50-nodenext', { 'app.ts': mainApp }, { module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022', 'DOM'], types: [] });
    expect(out).toBe('');
  }, 120_000);

  it('the main entry compiles with TypeScript 5.0 and no @types/node (bundler resolution, as a web app)', () => {
    const out = typecheck(tsc50, 'main-50-bundler', { 'app.ts': mainApp }, { module: 'ESNext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'], types: [] });
    expect(out).toBe('');
  }, 120_000);

  it('the main entry compiles with the current TypeScript, no @types/node, next to lib.esnext.disposable', () => {
    const out = typecheck(tscCurrent, 'main-current', { 'app.ts': mainApp }, {
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      lib: ['ES2022', 'DOM', 'ESNext.Disposable'],
      types: [],
    });
    expect(out).toBe('');
  }, 120_000);

  it('every entry compiles with TypeScript 5.0 and @types/node, as ESM and as CommonJS', () => {
    const out = typecheck(tsc50, 'all-50', { 'all.ts': allEntries, 'app.cts': commonJsApp }, { module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022'], types: ['node'] });
    expect(out).toBe('');
  }, 180_000);

  it('the checks are real: a consumer type error is reported', () => {
    const out = typecheck(tsc50, 'broken', { 'app.ts': `import { withTimeout } from 'cancelable-ts';\nexport const x: string = withTimeout(1, async () => 1);\n` }, {
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      lib: ['ES2022', 'DOM'],
      types: [],
    });
    expect(out).toMatch(/error TS2322/);
  }, 120_000);
});
