import { chmod, readFile, writeFile } from 'node:fs/promises';
import { defineConfig } from 'tsup';

/**
 * Output layout (dist/):
 *   index.{js,cjs,d.ts,d.cts}            <- src/index.ts            (".")
 *   testing/index.{js,cjs,d.ts,d.cts}    <- src/testing/index.ts    ("./testing")
 *   worker/index.{js,cjs,d.ts,d.cts}     <- src/threads/index.ts    ("./worker")
 *   process/index.{js,cjs,d.ts,d.cts}    <- src/processes/index.ts  ("./process")
 *   cli/main.{js,cjs}                    <- src/cli/main.ts         (bin "cancelable")
 * Shared code goes into chunks (splitting on for BOTH formats), so every subpath of one
 * format shares a single copy of the core (one registry, one class identity for instanceof).
 */
const CLI_OUT = 'dist/cli/main.cjs';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    'worker/index': 'src/threads/index.ts',
    'process/index': 'src/processes/index.ts',
    'cli/main': 'src/cli/main.ts',
  },
  format: ['esm', 'cjs'],
  platform: 'node',
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
  dts: {
    entry: {
      index: 'src/index.ts',
      'testing/index': 'src/testing/index.ts',
      'worker/index': 'src/threads/index.ts',
      'process/index': 'src/processes/index.ts',
    },
  },
  sourcemap: true,
  splitting: true,
  treeshake: false,
  clean: true,
  shims: false,
  minify: false,
  outDir: 'dist',
  // The bin must be directly executable: make sure it carries a hashbang (keep one in
  // src/cli/main.ts; it is added here if missing) and is chmod +x.
  async onSuccess() {
    const text = await readFile(CLI_OUT, 'utf8');
    if (!text.startsWith('#!')) await writeFile(CLI_OUT, `#!/usr/bin/env node\n${text}`);
    await chmod(CLI_OUT, 0o755);
  },
});
