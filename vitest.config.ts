import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real child processes: tests deliver real signals and need a real process per file.
    pool: 'forks',
    execArgv: ['--expose-gc'],
    isolate: true,
    setupFiles: ['test/harness/setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    teardownTimeout: 10_000,
    // Unhandled rejections / uncaught errors fail the run (vitest default): do not set
    // dangerouslyIgnoreUnhandledErrors.
    unstubEnvs: true,
    unstubGlobals: true,
  },
});
