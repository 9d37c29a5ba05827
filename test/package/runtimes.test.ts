// SPEC §13: the main entry runs on Bun and Deno (both devDependencies, from the npm registry). Each
// imports the built ESM entry (dist/index.js) and runs fixtures/runtime-scenarios.ts, plus a check that
// their AsyncLocalStorage carries Cancelable.current() across awaits. Deno runs with no permission
// at all (no read, no network, no environment) and no prompts.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { stop } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../harness/build.js';
import { root } from './dist-graph.js';
import { expectScenarioResults, scenariosModule } from './runtime-scenarios.js';

const run = promisify(execFile);
let scratch: string;

const runner = (entry: string): string => `
import { Cancelable } from ${JSON.stringify(entry)};
import { runScenarios } from './scenarios.mjs';
const results = await runScenarios();
results.currentAfterAwait = await Cancelable.withTimeout(5_000, { name: 'outer' }).run(async (scope) => {
  await scope.sleep(1);
  await Promise.resolve();
  return Cancelable.current() === scope;
});
console.log(JSON.stringify(results));
`;

beforeAll(async () => {
  ensureBuilt();
  scratch = mkdtempSync(join(tmpdir(), 'cancelable-runtimes-'));
  const entry = pathToFileURL(join(root, 'dist/index.js')).href;
  writeFileSync(join(scratch, 'scenarios.mjs'), await scenariosModule(entry));
  writeFileSync(join(scratch, 'run.mjs'), runner(entry));
}, 180_000);

afterAll(async () => {
  await stop(); // esbuild's service process
  rmSync(scratch, { recursive: true, force: true });
});

function parseLast(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n').pop() as string) as Record<string, unknown>;
}

describe('the main entry on other runtimes', () => {
  it('Bun: imports dist/index.js and runs the scenarios; the async context follows awaits', async () => {
    const bun = join(root, 'node_modules/.bin/bun');
    const { stdout } = await run(bun, ['run', join(scratch, 'run.mjs')], {
      cwd: scratch,
      timeout: 60_000,
      env: { PATH: process.env.PATH, HOME: scratch, BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0' },
    });
    const results = parseLast(stdout);
    expect(results.currentAfterAwait).toBe(true);
    delete results.currentAfterAwait;
    expectScenarioResults(results);
  }, 90_000);

  it('Deno: imports dist/index.js and runs the scenarios with no permission at all', async () => {
    // Deno loads local modules without --allow-read: the main entry needs no permission to import or
    // to run timeouts, tokens, combine and streams. --no-prompt turns any request into an error.
    const deno = join(root, 'node_modules/.bin/deno');
    const { stdout } = await run(deno, ['run', '--no-prompt', '--no-remote', '--no-config', '--no-lock', join(scratch, 'run.mjs')], {
      cwd: scratch,
      timeout: 60_000,
      env: { PATH: process.env.PATH, HOME: scratch, DENO_DIR: join(scratch, '.deno'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
    });
    const results = parseLast(stdout);
    expect(results.currentAfterAwait).toBe(true);
    delete results.currentAfterAwait;
    expectScenarioResults(results);
  }, 90_000);
});
