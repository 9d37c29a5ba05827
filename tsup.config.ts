import { readFileSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { defineConfig } from 'tsup';

/**
 * Output layout (dist/): one folder per subpath of package.json "exports", each with
 * index.{js,cjs,d.ts,d.cts}; the bin at cli/main.cjs. The entries are read from package.json, so adding
 * a subpath there is all a new entry needs. Source folders match the subpath names, except
 * `./worker` (src/threads) and `./process` (src/processes).
 * Shared code goes into chunks (splitting on for BOTH formats), so every subpath of one format shares
 * a single copy of the core (one registry, one class identity for instanceof).
 */
const CLI_OUT = 'dist/cli/main.cjs';
const sourceFolder: Record<string, string> = { worker: 'threads', process: 'processes' };

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, unknown> };
const libraryEntries: Record<string, string> = { index: 'src/index.ts' };
for (const subpath of Object.keys(pkg.exports)) {
  if (subpath === '.' || subpath === './package.json') continue;
  const name = subpath.slice(2);
  libraryEntries[`${name}/index`] = `src/${sourceFolder[name] ?? name}/index.ts`;
}

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
