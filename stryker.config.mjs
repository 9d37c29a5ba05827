// Mutation testing of the kernel (docs/reliability.md, "Mutation testing"): StrykerJS mutates
// src/core/scope/** and runs the core tests and the diagnostics channel/logger/tracing tests
// (vitest.stryker.config.ts) against each mutant. The control endpoint has its own config
// (stryker.control.config.mjs). On a shared 2-core machine run it per file or small group:
//   npm run mutate -- --mutate src/core/scope/run.ts                               # one file (~12 min)
//   npm run mutate -- --mutate src/core/scope/ledger.ts,src/core/scope/shield.ts    # a small group
//   npm run mutate                                                                  # all of src/core/scope (hours)
// Reports: reports/mutation/ (JSON) and the console; the sandbox: .stryker-tmp/ (both git-ignored).
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
  dryRunTimeoutMinutes: 15, // the initial run takes ~10 s (25 s for control); a margin for a loaded machine
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  ignorePatterns: ['dist', 'docs/api', 'bench/results', 'reports', 'coverage'],
};
