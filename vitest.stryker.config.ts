import { defineConfig } from 'vitest/config';

// The tests StrykerJS runs against each mutant of src/core/scope/** (stryker.config.mjs): the core
// tests and the diagnostics channel/logger/tracing tests, without the two long heap measurements (100,000
// scopes; 20,000-scope slopes), which would make every mutant take tens of seconds and measure nothing
// a mutant of the logic changes (what they measure is listed per survivor in docs/reliability.md).
export default defineConfig({
  test: {
    // The core tests, and the diagnostics tests that read what the kernel logs, publishes and traces.
    include: [
      'test/core/**/*.test.ts',
      'test/diagnostics/channels.test.ts',
      'test/diagnostics/logger.test.ts',
      'test/diagnostics/tracing.test.ts',
    ],
    exclude: ['test/core/leaks.test.ts', 'test/core/retention.test.ts'],
    setupFiles: ['test/harness/setup.ts'],
    // One module graph for all the files of a run (Stryker switches mutants at run time, so no
    // file needs a fresh import): halves the time of every mutant's run.
    isolate: false,
    // The scale tests run smaller trees and the child-process-only test is skipped (test/core/helpers.ts
    // `underMutation`): each mutant's run takes seconds, not tens of seconds.
    env: { CANCELABLE_MUTATION: '1' },
    // A mutant that makes a test hang fails it here, before Stryker's own timeout (which restarts the
    // test runner: ~15 s a mutant on a loaded machine). The slowest test takes ~0.5 s instrumented.
    testTimeout: 5_000,
    hookTimeout: 20_000,
  },
});
