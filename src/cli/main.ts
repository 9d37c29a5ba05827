#!/usr/bin/env node
/**
 * The `cancelable` command (package `bin`): list, cancel and watch the operations of a process that
 * serves its registry with `registry.listen()`. See `cancelable --help`.
 */
import { runCli } from './run.js';

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`cancelable: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
