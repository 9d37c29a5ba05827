// Which Node built-ins each entry loads at import (SPEC §13): the main entry only what Bun, Deno and
// edge runtimes provide (async_hooks, diagnostics_channel, events: core/platform.ts), the browser build
// none at all, and every other entry a reviewed list. Checked twice: in the files' static import graph,
// and in a fresh node process that imports the built file (process.moduleLoadList).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../harness/build.js';
import { controlServerBuiltins, controlServerLoadedEagerly, root, staticGraph } from './dist-graph.js';

const platform = ['node:async_hooks', 'node:diagnostics_channel', 'node:events'];
const eagerControl = controlServerLoadedEagerly ? controlServerBuiltins : [];

/** Per built entry (a dist/ path without extension): the built-ins (and peers) it may load at import. */
const allowed: Record<string, string[]> = {
  index: [...platform, ...eagerControl],
  'browser/index': [],
  'testing/index': [...platform, 'node:assert', 'node:util', ...eagerControl],
  'worker/index': [...platform, 'node:url', 'node:worker_threads', ...eagerControl],
  'process/index': [
    ...platform,
    'node:child_process',
    'node:fs',
    'node:fs/promises',
    'node:net',
    'node:os',
    'node:path',
    'node:url',
    'node:worker_threads',
  ],
  'redis/index': [...platform, 'node:crypto', 'node:os', ...eagerControl],
  'postgres/index': [...platform, 'node:crypto', 'node:os', ...eagerControl],
  'bullmq/index': [...platform, 'node:crypto', 'node:os', ...eagerControl],
  'otel/index': [...platform, '@opentelemetry/api', ...eagerControl],
  'dashboard/index': [...platform, 'node:crypto', 'node:http', ...eagerControl],
};

// A message in the code may name the package ("import it from 'cancelable-ts'"): only real imports count.
const isBuiltin = (specifier: string): boolean => specifier.startsWith('node:');

/**
 * The public built-in modules a fresh node process has loaded after running `code` (an ESM or CJS
 * program, run from a file), beyond those node loads at startup.
 */
function loadedBy(code: string, format: 'esm' | 'cjs'): string[] {
  const report = `console.log(JSON.stringify(process.moduleLoadList.filter((m) => !before.has(m) && m.startsWith('NativeModule ') && !m.startsWith('NativeModule internal/')).map((m) => 'node:' + m.slice(13))));`;
  const program = join(scratch, `program-${++programs}.${format === 'esm' ? 'mjs' : 'cjs'}`);
  writeFileSync(program, `const before = new Set(process.moduleLoadList);\n${code};\n${report}\n`);
  const out = execFileSync(process.execPath, [program], { cwd: root, encoding: 'utf8', timeout: 30_000 });
  return JSON.parse(out.trim().split('\n').pop() as string) as string[];
}

let programs = 0;
let scratch: string;

describe('Node built-ins loaded at import', () => {
  beforeAll(() => {
    ensureBuilt();
    scratch = mkdtempSync(join(tmpdir(), 'cancelable-builtins-'));
    writeFileSync(join(scratch, 'empty.mjs'), 'export {};\n');
    writeFileSync(join(scratch, 'empty.cjs'), 'module.exports = {};\n');
  }, 180_000);

  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  it('the main entry imports nothing Node-only (only what core/platform.ts needs)', () => {
    const { external } = staticGraph('index.js');
    expect(external.filter(isBuiltin)).toEqual([...platform, ...eagerControl].sort());
    for (const forbidden of ['node:child_process', 'node:worker_threads']) expect(external).not.toContain(forbidden);
  });

  it('the browser build imports no built-in and holds no stub of one in its static graph', () => {
    for (const entry of ['browser/index.js', 'browser/index.cjs']) {
      const { files, external } = staticGraph(entry);
      expect(external.filter(isBuiltin)).toEqual([]);
      const stubbed = files.filter((file) => /node-builtin-stub:node:/.test(readText(file)));
      const expected = controlServerLoadedEagerly ? stubbed.filter((file) => /processes[\\/](control-server|socket-path)\./.test(file)) : [];
      expect(stubbed).toEqual(expected);
    }
  });

  for (const [entry, list] of Object.entries(allowed)) {
    for (const format of ['esm', 'cjs'] as const) {
      const file = `${entry}.${format === 'esm' ? 'js' : 'cjs'}`;

      it(`${file}: static imports name only its reviewed built-ins`, () => {
        const builtins = staticGraph(file).external.filter(isBuiltin);
        expect(builtins.filter((specifier) => !list.includes(specifier))).toEqual([]);
      });

      it(`${file}: a fresh node process loads no other built-in when importing it`, () => {
        const path = JSON.stringify(join(root, 'dist', file));
        const load = (target: string): string => (format === 'esm' ? `await import(${target})` : `require(${target})`);
        // What the allowed built-ins (and loading any file) bring along: the most the entry may load.
        const empty = JSON.stringify(join(scratch, format === 'esm' ? 'empty.mjs' : 'empty.cjs'));
        const budget = loadedBy([load(empty), ...list.filter(isBuiltin).map((name) => load(JSON.stringify(name)))].join('; '), format);
        const loaded = loadedBy(load(path), format);
        expect(loaded.filter((name) => !budget.includes(name))).toEqual([]);
      }, 60_000);
    }
  }
});

function readText(file: string): string {
  return readFileSync(file, 'utf8');
}
