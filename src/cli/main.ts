#!/usr/bin/env node
/**
 * The `cancelable` command (package `bin`): list, cancel and watch the operations of a process that
 * serves its registry with `registry.listen()`, or of a fleet. See `cancelable --help`.
 */
import { runCli } from './run.js';

// `cancelable ps | head`: once the reader is gone there is nobody to tell anything; exit quietly
// (a write after that would otherwise throw EPIPE as an uncaught error).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// SIGINT/SIGTERM end `watch` and `dashboard` cleanly (connections and the HTTP server closed).
const stop = new AbortController();
const onSignal = (): void => stop.abort();
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: stop.signal }).then(
  (code) => {
    process.exitCode = code;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  },
  (error: unknown) => {
    process.stderr.write(`cancelable: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  },
);
