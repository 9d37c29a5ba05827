/** Runs one example file as a user would (`node --import tsx <file>`), with a hard timeout. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '../..');

export interface ExampleRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  timeoutMs?: number;
  /** Send this signal once a stdout line matches `when` (an example waiting for Ctrl+C). */
  interrupt?: { when: RegExp; signal: NodeJS.Signals; afterMs: number };
}

export function runExample(file: string, options: RunOptions = {}): Promise<ExampleRun> {
  const start = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  let stdout = '';
  let stderr = '';
  let interruptTimer: NodeJS.Timeout | undefined;
  const interrupt = options.interrupt;
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
    if (interrupt !== undefined && interruptTimer === undefined && interrupt.when.test(stdout)) {
      interruptTimer = setTimeout(() => child.kill(interrupt.signal), interrupt.afterMs);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 40_000);
  return new Promise((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(killer);
      clearTimeout(interruptTimer);
      resolvePromise({ code, signal, stdout, stderr, ms: performance.now() - start });
    });
  });
}
