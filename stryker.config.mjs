// Mutation testing of the kernel (docs/reliability.md, "Mutation testing"): StrykerJS mutates
// src/core/scope/** and runs the core tests (vitest.stryker.config.ts) against each mutant.
//   npm run mutate                                              # the whole scope kernel (long)
//   npm run mutate -- --mutate src/core/scope/outcome.ts        # one file
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.stryker.config.ts', related: false },
  mutate: ['src/core/scope/**/*.ts'],
  coverageAnalysis: 'perTest',
  concurrency: 1, // a shared 2-core machine: one worker
  // test/core/dual-copy.test.ts needs dist/: built in the sandbox before the initial test run. Built
  // inside it, the build counted as "overhead", and Stryker adds the initial run's overhead to every
  // mutant's timeout (a hanging mutant then took a minute).
  buildCommand: 'npx tsup',
  timeoutMS: 3_000,
  dryRunTimeoutMinutes: 15, // the core suite takes minutes on a loaded 2-core machine
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  ignorePatterns: ['dist', 'docs/api', 'bench/results', 'reports', 'coverage'],
};
