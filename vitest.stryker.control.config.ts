import { defineConfig } from 'vitest/config';

// The tests StrykerJS runs against each mutant of src/control/** (stryker.control.config.mjs): every
// test that drives the control endpoint in this process (real sockets, real files, the CLI run
// in-process): the endpoint's own tests, its security tests, the CLI, registry.listen() and the
// bad-input table (which checks parseNamePattern, defaultSocketPath, serveRegistry and
// ControlClient.connect). Child processes run the sandbox's code without the active mutant, so
// only what runs in this process can kill one.
export default defineConfig({
  test: {
    include: [
      'test/control/**/*.test.ts',
      'test/processes/control-server.test.ts',
      'test/cli/cli.test.ts',
      'test/registry/concurrency.test.ts',
      'test/reliability/bad-input.test.ts',
    ],
    setupFiles: ['test/harness/setup.ts'],
    isolate: false, // as in vitest.stryker.config.ts: Stryker switches mutants at run time
    // A mutant that makes a test hang fails it here, before Stryker's own timeout (which restarts the
    // test runner: ~15 s a mutant on a loaded machine). The slowest tests (signals) take ~4 s.
    testTimeout: 10_000,
    hookTimeout: 20_000,
  },
});
