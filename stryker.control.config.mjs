// Mutation testing of the control endpoint (docs/reliability.md, "Mutation testing"): StrykerJS
// mutates src/control/** and runs the tests that drive it in-process (vitest.stryker.control.config.ts:
// test/control, test/processes/control-server, test/cli, registry.listen(), the bad-input table).
//   npm run mutate -- stryker.control.config.mjs                                  # all of src/control
//   npm run mutate -- stryker.control.config.mjs --mutate src/control/server.ts   # one file
// The rest of the options are those of the kernel's config (stryker.config.mjs): one worker,
// perTest coverage (each mutant runs only the tests that reached it).
import base from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  vitest: { configFile: 'vitest.stryker.control.config.ts', related: false },
  mutate: ['src/control/**/*.ts'],
  buildCommand: undefined, // none of these tests imports dist/
  jsonReporter: { fileName: 'reports/mutation/control.json' },
};
