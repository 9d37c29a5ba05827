// SPEC §13: the main entry runs in a browser. Real Chromium (Debian's, via playwright-core) loads a
// page from a local HTTP server on 127.0.0.1 and runs fixtures/runtime-scenarios.ts (timeout, token,
// combine, explicit parents, a web ReadableStream cancelled mid-read) twice: bundled by esbuild as an
// app would be (the `browser` export condition), and unbundled, the browser itself loading the files
// of dist/browser/ through an import map.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, sep } from 'node:path';
import { build, stop } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, watchedPage } from '../dashboard/browser.js';
import { ensureBuilt } from '../harness/build.js';
import { controlServerLoadedEagerly, root } from './dist-graph.js';
import { expectScenarioResults, scenariosModule } from './runtime-scenarios.js';

let browser: Browser;
let server: Server;
let origin: string;
const requested: string[] = [];

const page = (script: string, importMap?: Record<string, string>): string =>
  `<!doctype html><meta charset="utf-8"><title>cancelable-ts</title>${
    importMap ? `<script type="importmap">${JSON.stringify({ imports: importMap })}</script>` : ''
  }<script type="module">import { runScenarios } from '${script}'; globalThis.runScenarios = runScenarios;</script>`;

beforeAll(async () => {
  ensureBuilt();
  const bundled = await build({
    entryPoints: [join(root, 'test/package/fixtures/runtime-scenarios.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
    tsconfigRaw: {}, // resolve 'cancelable-ts' through package.json "exports", not tsconfig paths
  });
  const routes = new Map<string, { type: string; body: string | Buffer }>([
    ['/bundle.html', { type: 'text/html', body: page('/bundle.js') }],
    ['/bundle.js', { type: 'text/javascript', body: bundled.outputFiles[0]!.text }],
    ['/modules.html', { type: 'text/html', body: page('/scenarios.js', { 'cancelable-ts': '/dist/browser/index.js' }) }],
    ['/scenarios.js', { type: 'text/javascript', body: await scenariosModule('cancelable-ts') }],
    ['/favicon.ico', { type: 'image/x-icon', body: '' }],
  ]);
  const browserDir = join(root, 'dist', 'browser');
  server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    requested.push(path);
    let route = routes.get(path);
    if (route === undefined && path.startsWith('/dist/browser/') && path.endsWith('.js')) {
      const file = normalize(join(root, decodeURIComponent(path)));
      if (file.startsWith(browserDir + sep)) {
        try {
          route = { type: 'text/javascript', body: readFileSync(file) };
        } catch {
          route = undefined;
        }
      }
    }
    if (route === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': route.type, 'cache-control': 'no-store' }).end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launch();
}, 180_000);

afterAll(async () => {
  await stop(); // esbuild's service process
  await browser?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
}, 30_000);

describe('the main entry in Chromium', () => {
  for (const [label, path, skip] of [
    ['bundled by esbuild for the browser', '/bundle.html', false],
    // Unbundled, the browser evaluates every module the entry imports: while the registry still imports
    // the control socket server eagerly (see dist-graph.ts), that module reads `process` and fails.
    ['unbundled: dist/browser/ files loaded by the browser through an import map', '/modules.html', controlServerLoadedEagerly],
  ] as const) {
    it.skipIf(skip)(`${label}: timeout, token, combine, explicit parents and a ReadableStream behave as on Node`, async () => {
      const { page: tab, errors } = await watchedPage(browser);
      const failed: string[] = [];
      tab.on('requestfailed', (request) => failed.push(request.url()));
      tab.on('response', (response) => {
        if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
      });
      await tab.goto(origin + path);
      await tab.waitForFunction(() => typeof (globalThis as { runScenarios?: unknown }).runScenarios === 'function');
      const results = await tab.evaluate(() => (globalThis as unknown as { runScenarios(): Promise<Record<string, unknown>> }).runScenarios());
      expectScenarioResults(results);
      // The page really is a browser page without Node: no `process`, and the async context is the
      // synchronous fallback (documented in docs/runtimes.md).
      expect(await tab.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined');
      expect(errors).toEqual([]);
      expect(failed).toEqual([]);
      await tab.close();
    }, 60_000);
  }

  it('OS signals: Cancelable.withSignal and new SignalSource() throw a TypeError that says why (sources/signal.browser.ts)', async () => {
    const { page: tab, errors } = await watchedPage(browser);
    await tab.goto(origin + '/modules.html');
    await tab.waitForFunction(() => typeof (globalThis as { runScenarios?: unknown }).runScenarios === 'function');
    // A string, so that the test runner's transform leaves the page's own import() alone.
    const thrown = await tab.evaluate(`(async () => {
      const { Cancelable, SignalSource } = await import('cancelable-ts');
      const attempt = (fn) => { try { fn(); return 'no error'; } catch (error) { return error.name + ': ' + error.message; } };
      return [attempt(() => Cancelable.withSignal('SIGINT')), attempt(() => new SignalSource('SIGTERM'))];
    })()`);
    expect(thrown).toEqual([
      expect.stringMatching(/^TypeError: Cancelable\.withSignal: OS signals are not available in a browser/),
      expect.stringMatching(/^TypeError: SignalSource: OS signals are not available in a browser/),
    ]);
    expect(readFileSync(join(root, 'dist/browser/sources/signal.js'), 'utf8')).not.toMatch(/process\.(on|platform|exit)/);
    expect(errors).toEqual([]);
    await tab.close();
  }, 60_000);

  it.skipIf(controlServerLoadedEagerly)('the unbundled page loaded the platform twin, not the Node platform module', () => {
    expect(requested).toContain('/dist/browser/core/platform.js');
    expect(readFileSync(join(root, 'dist/browser/core/platform.js'), 'utf8')).not.toContain('node:');
  });
});
