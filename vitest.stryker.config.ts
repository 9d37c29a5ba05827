import { defineConfig } from 'vitest/config';

// The tests StrykerJS runs against each mutant of src/core/scope/** (stryker.config.mjs): the core
// tests, without the two long heap measurements (100,000 scopes; 20,000-scope slopes), which would
// make every mutant take tens of seconds and measure nothing a mutant of the logic changes.
export default defineConfig({
  test: {
    include: ['test/core/**/*.test.ts'],
    exclude: ['test/core/leaks.test.ts', 'test/core/retention.test.ts'],
    setupFiles: ['test/harness/setup.ts'],
    testTimeout: 60_000, // instrumented code is slower: the 100,000-children test needs it
    hookTimeout: 20_000,
  },
});
