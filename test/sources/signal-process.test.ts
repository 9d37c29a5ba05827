/**
 * Real OS signals delivered to a real child process running a scope with `withSignal`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const APP = fileURLToPath(new URL('./fixtures/signal-app.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface App {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first stdout line matching `pattern` (past or future). */
  waitFor(pattern: RegExp): Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const apps: App[] = [];

function startApp(...args: string[]): App {
  const child = spawn(process.execPath, ['--import', 'tsx', APP, ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let buffer = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      lines.push(line);
      for (const waiter of waiters.splice(0)) {
        if (waiter.pattern.test(line)) waiter.resolve(line);
        else waiters.push(waiter);
      }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const app: App = {
    child,
    lines,
    exited,
    waitFor(pattern) {
      const found = lines.find((line) => pattern.test(line));
      if (found !== undefined) return Promise.resolve(found);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`timed out waiting for ${pattern}; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`));
        }, 15_000);
        waiters.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        void exited.then(() => {
          // Let the last lines arrive before giving up.
          setImmediate(() => {
            if (!lines.some((line) => pattern.test(line))) {
              clearTimeout(timer);
              reject(new Error(`the app exited before printing ${pattern}; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`));
            }
          });
        });
      });
    },
  };
  apps.push(app);
  return app;
}

afterEach(async () => {
  for (const app of apps.splice(0)) {
    if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGKILL');
    await app.exited;
  }
});

describe('withSignal in a real process', () => {
  it('shuts down gracefully on SIGINT (shielded cleanup runs), then a later SIGINT kills it the default way', async () => {
    const app = startApp('graceful', '--stay');
    expect(await app.waitFor(/^READY/)).toBe('READY listeners=1,1');
    app.child.kill('SIGINT');
    await app.waitFor(/^STAYING$/);
    expect(app.lines).toEqual([
      'READY listeners=1,1',
      'SHUTTING DOWN Received signal SIGINT',
      'CLEANUP DONE',
      'CANCELLED SignalCancelation SIGINT Received signal SIGINT',
      'ENDED listeners=0,0',
      'STAYING',
    ]);
    // The scope ended, its listener is gone: Node's default behaviour is back.
    app.child.kill('SIGINT');
    expect(await app.exited).toEqual({ code: null, signal: 'SIGINT' });
  });

  it('shuts down gracefully on SIGTERM and exits with code 0', async () => {
    const app = startApp('graceful');
    await app.waitFor(/^READY/);
    app.child.kill('SIGTERM');
    expect(await app.exited).toEqual({ code: 0, signal: null });
    expect(app.lines).toEqual([
      'READY listeners=1,1',
      'SHUTTING DOWN Received signal SIGTERM',
      'CLEANUP DONE',
      'CANCELLED SignalCancelation SIGTERM Received signal SIGTERM',
      'ENDED listeners=0,0',
    ]);
  });

  it('after SIGTERM ended the scope, SIGTERM ends the process the default way too', async () => {
    const app = startApp('graceful', '--stay');
    await app.waitFor(/^READY/);
    app.child.kill('SIGTERM');
    await app.waitFor(/^STAYING$/);
    app.child.kill('SIGTERM');
    expect(await app.exited).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('with exitOnSecondSignal, a second SIGINT during a stuck shutdown exits with 130', async () => {
    const app = startApp('force');
    await app.waitFor(/^READY/);
    app.child.kill('SIGINT');
    await app.waitFor(/^SHUTTING DOWN Received signal SIGINT$/);
    app.child.kill('SIGINT');
    expect(await app.exited).toEqual({ code: 130, signal: null });
    expect(app.lines).not.toContain('CLEANUP DONE');
  });

  it('with exitOnSecondSignal, SIGTERM then SIGINT exits with the second signal\'s code', async () => {
    const app = startApp('force');
    await app.waitFor(/^READY/);
    app.child.kill('SIGTERM');
    await app.waitFor(/^SHUTTING DOWN Received signal SIGTERM$/);
    app.child.kill('SIGINT');
    expect(await app.exited).toEqual({ code: 130, signal: null });
  });

  it('without exitOnSecondSignal, a second SIGINT is ignored and the shutdown completes', async () => {
    const app = startApp('stuck');
    await app.waitFor(/^READY/);
    app.child.kill('SIGINT');
    await app.waitFor(/^SHUTTING DOWN Received signal SIGINT$/);
    await app.waitFor(/^SAW SIGINT 1$/);
    app.child.kill('SIGINT');
    // The app's own listener proves the second SIGINT was delivered while the scope still ran.
    await app.waitFor(/^SAW SIGINT 2$/);
    expect(app.child.exitCode).toBeNull();
    app.child.stdin!.end('finish\n');
    expect(await app.exited).toEqual({ code: 0, signal: null });
    expect(app.lines.slice(-3)).toEqual([
      'CLEANUP DONE',
      'CANCELLED SignalCancelation SIGINT Received signal SIGINT',
      'ENDED listeners=0,0',
    ]);
  });
});
