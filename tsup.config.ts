import { existsSync, readFileSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { defineConfig, type Options } from 'tsup';

type EsbuildPlugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * Output layout (dist/): one folder per subpath of package.json "exports", each with
 * index.{js,cjs,d.ts,d.cts}; the bin at cli/main.cjs. The entries are read from package.json, so adding
 * a subpath there is all a new entry needs. Source folders match the subpath names, except
 * `./worker` (src/threads) and `./process` (src/processes).
 * Shared code goes into chunks (splitting on for BOTH formats), so every subpath of one format shares
 * a single copy of the core (one registry, one class identity for instanceof).
 *
 * A subpath whose export has a `browser` condition (today only `.`) is built a second time, for
 * browsers, to the folder of the file that condition names (dist/browser/); see `browserEntries`.
 */
const CLI_OUT = 'dist/cli/main.cjs';
const sourceFolder: Record<string, string> = { worker: 'threads', process: 'processes' };

interface ExportTarget {
  browser?: { import?: { default?: string } };
}
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, ExportTarget | string> };
const libraryEntries: Record<string, string> = { index: 'src/index.ts' };
const browserRoots: { out: string; source: string }[] = [];
for (const [subpath, target] of Object.entries(pkg.exports)) {
  if (subpath === './package.json') continue;
  const name = subpath.slice(2);
  const source = subpath === '.' ? 'src/index.ts' : `src/${sourceFolder[name] ?? name}/index.ts`;
  if (subpath !== '.') libraryEntries[`${name}/index`] = source;
  const browserFile = typeof target === 'string' ? undefined : target.browser?.import?.default;
  if (browserFile !== undefined) browserRoots.push({ out: dirname(browserFile.replace(/^\.\/dist\//, '')), source });
}

/**
 * The browser build keeps one output file per source module (dist/browser/<path>.js), so that a
 * bundler drops every module an app does not use (`"sideEffects": false`): `isCancelation` alone must
 * not pull the scope class (SPEC §9 sizes). Its files are the modules the entry reaches (static and
 * lazy imports), with two substitutions:
 * - a module with a `.browser.ts` twin is built from the twin, under the same name, so the relative
 *   imports stay as they are: core/platform.ts (AsyncLocalStorage, diagnostics_channel,
 *   setMaxListeners) and sources/signal.ts (OS signals, which a page does not have);
 * - any other `node:` import becomes an empty module inlined in the file, so that a bundler targeting
 *   the browser never meets a Node built-in. Node-only code reachable from the main entry must only be
 *   loaded on use (`registry.listen()`) and fails there; the package tests check that the browser
 *   entry's static import graph holds no such stub.
 */
const browserEntries: Record<string, string> = {};
for (const root of browserRoots) {
  const base = dirname(root.source);
  for (const file of reachableModules(root.source)) {
    const out = join(root.out, relative(base, file)).replace(/\.ts$/, '');
    // A module with a `.browser.ts` twin (the platform layer, OS signals) is built from the twin.
    const twin = file.replace(/\.ts$/, '.browser.ts');
    browserEntries[out] = existsSync(twin) ? twin : file;
  }
}

/** The source files `entry` imports, transitively (relative imports, static or lazy; type-only ones too). */
function reachableModules(entry: string): string[] {
  const seen = new Set<string>([entry]);
  const pattern = /(?:^|\n)\s*(?:import|export)\s+(?:[^'";]*?\s+from\s+)?['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
  for (const file of seen) {
    for (const match of readFileSync(file, 'utf8').matchAll(pattern)) {
      const specifier = (match[1] ?? match[2]) as string;
      seen.add(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
    }
  }
  return [...seen];
}

const browserModules: EsbuildPlugin = {
  name: 'cancelable-browser-modules',
  setup(build) {
    const cjs = build.initialOptions.format === 'cjs';
    // Every relative import stays an import of the sibling output file (.cjs next to .cjs).
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      return { path: cjs ? args.path.replace(/\.js$/, '.cjs') : args.path, external: true };
    });
    build.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'node-builtin-stub' }));
    build.onLoad({ filter: /.*/, namespace: 'node-builtin-stub' }, (args) => ({
      contents: `/* cancelable-ts browser build: ${args.path} is not available here */ module.exports = {};`,
      loader: 'js',
    }));
  },
};

const shared = {
  platform: 'node',
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
  sourcemap: true,
  treeshake: false,
  shims: false,
  minify: false,
  outDir: 'dist',
  // Keep `node:` in imports: Bun, Deno and bundlers resolve `node:fs`, not always a bare `fs`.
  removeNodeProtocol: false,
} as const;

export default defineConfig([
  {
    ...shared,
    entry: libraryEntries,
    format: ['esm', 'cjs'],
    dts: { entry: libraryEntries },
    splitting: true,
    clean: false,
  },
  {
    // The same code for browsers (export condition `browser`): types are the Node build's (identical).
    ...shared,
    entry: browserEntries,
    platform: 'browser',
    target: 'es2022',
    format: ['esm', 'cjs'],
    dts: false,
    splitting: false,
    clean: false,
    // Unminified, one file per module: readable as is; maps would add 1.2 MB to the tarball.
    sourcemap: false,
    esbuildPlugins: [browserModules],
  },
  {
    // The CLI is built once, as CommonJS (the bin), with its own copy of what it needs.
    ...shared,
    entry: { 'cli/main': 'src/cli/main.ts' },
    format: ['cjs'],
    splitting: false,
    clean: false,
    sourcemap: false,
    // The bin must be directly executable: make sure it carries a hashbang and is chmod +x.
    async onSuccess() {
      const text = readFileSync(CLI_OUT, 'utf8');
      if (!text.startsWith('#!')) await writeFile(CLI_OUT, `#!/usr/bin/env node\n${text}`);
      await chmod(CLI_OUT, 0o755);
    },
  },
]);
