import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Cancelable, ManualCancelation, TimeoutCancelation } from '../../src/index.js';
import { DEFAULT_PROCESS_GRACE_MS, spawn } from '../../src/processes/index.js';
import { firstLine, IGNORES_SIGTERM, isAlive, ManualClock, NODE, waitFor } from './helpers.js';
import { inScope } from '../harness/in-scope.js';

describe('scope.spawn', () => {
  it('resolves with the exit code and the collected output', async () => {
    const result = await new Cancelable().run((scope) =>
      inScope(scope).spawn(NODE, ['-e', 'process.stdout.write("out é"); process.stderr.write("err"); process.exit(3)']),
    );
    expect(result).toEqual({ code: 3, signal: null, stdout: 'out é', stderr: 'err' });
  });

  it('exposes the ChildProcess at .child', async () => {
    await new Cancelable().run(async (scope) => {
      const promise = inScope(scope).spawn(NODE, ['-e', 'process.stdin.pipe(process.stdout)']);
      expect(promise.child?.pid).toBeTypeOf('number');
      promise.child!.stdin!.end('echo');
      expect((await promise).stdout).toBe('echo');
    });
  });

  it('leaves stdout/stderr undefined when they are not piped or collect is off', async () => {
    await new Cancelable().run(async (scope) => {
      const inherit = await inScope(scope).spawn(NODE, ['-e', '0'], { stdio: 'ignore' });
      expect(inherit).toEqual({ code: 0, signal: null });
      const uncollected = inScope(scope).spawn(NODE, ['-e', 'console.log("x")'], { collect: false });
      uncollected.child!.stdout!.resume();
      expect(await uncollected).toEqual({ code: 0, signal: null });
    });
  });

  it('rejects with the spawn error when the command does not exist', async () => {
    await new Cancelable().run(async (scope) => {
      await expect(inScope(scope).spawn('cancelable-no-such-command', ['x'])).rejects.toMatchObject({
        code: 'ENOENT',
        message: expect.stringContaining('cancelable-no-such-command'),
      });
    });
  });

  it('on cancellation rejects at once with the scope error and stops the child with SIGTERM', async () => {
    const scope = new Cancelable();
    let child: ChildProcess | undefined;
    const run = scope.run(async (s) => {
      const promise = inScope(s).spawn(NODE, ['-e', 'setInterval(() => {}, 1000); console.log("ready")']);
      child = promise.child;
      await firstLine(child!.stdout);
      s.cancel('stop it');
      await promise;
    });
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManualCancelation);
    expect((error as Error).message).toBe('stop it');
    // run() settled only once the child was gone.
    expect(child!.signalCode).toBe('SIGTERM');
    expect(isAlive(child!.pid!)).toBe(false);
  });

  it('sends the killSignal given', async () => {
    const scope = new Cancelable();
    let child: ChildProcess | undefined;
    await scope
      .run(async (s) => {
        const promise = inScope(s).spawn(NODE, ['-e', 'setInterval(() => {}, 1000); console.log("ready")'], { killSignal: 'SIGINT' });
        child = promise.child;
        await firstLine(child!.stdout);
        s.cancel();
        await promise;
      })
      .catch(() => undefined);
    expect(child!.signalCode).toBe('SIGINT');
  });

  it('SIGKILLs a child that ignores SIGTERM after graceMs (real time)', async () => {
    const graceMs = 300;
    let child: ChildProcess | undefined;
    let cancelledAt = 0;
    const scope = new Cancelable();
    const run = scope.run(async (s) => {
      const promise = inScope(s).spawn(NODE, ['-e', IGNORES_SIGTERM], { graceMs });
      child = promise.child;
      await firstLine(child!.stdout);
      cancelledAt = Date.now();
      s.cancel();
      await promise;
    });
    await expect(run).rejects.toBeInstanceOf(ManualCancelation);
    const elapsed = Date.now() - cancelledAt;
    expect(child!.signalCode).toBe('SIGKILL');
    expect(elapsed).toBeGreaterThanOrEqual(graceMs - 20);
    expect(elapsed).toBeLessThan(graceMs + 2_000); // generous, but SIGKILL 50x late fails (issue 16)
    expect(isAlive(child!.pid!)).toBe(false);
  });

  it('escalates to SIGKILL on the scope clock', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock });
    let child: ChildProcess | undefined;
    let rejected: unknown;
    const run = scope.run(async (s) => {
      const promise = inScope(s).spawn(NODE, ['-e', IGNORES_SIGTERM], { graceMs: 1_000 });
      child = promise.child;
      await firstLine(child!.stdout);
      s.cancel({ reason: 'timeout', message: 'budget' });
      await promise.catch((e: unknown) => {
        rejected = e;
      });
    });
    let settled = false;
    void run.then(() => (settled = true));
    await waitFor(() => rejected !== undefined, 5_000, 'the spawn to reject');
    expect(rejected).toBeInstanceOf(TimeoutCancelation);
    // SIGTERM was ignored and no time passed on the scope clock: still alive.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(isAlive(child!.pid!)).toBe(true);
    expect(child!.exitCode === null && child!.signalCode === null).toBe(true);
    clock.advance(999);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(isAlive(child!.pid!)).toBe(true);
    // The body has returned (within the grace: run() will resolve), but run() waits for the child.
    expect(settled).toBe(false);
    clock.advance(1);
    await run;
    expect(child!.signalCode).toBe('SIGKILL');
    expect(clock.pending).toBe(0);
  });

  it.skipIf(process.platform === 'win32')('stops the whole process group: the grandchild dies too', async () => {
    let grandchild = 0;
    let child: ChildProcess | undefined;
    const scope = new Cancelable();
    const run = scope.run(async (s) => {
      const promise = inScope(s).spawn('bash', ['-c', 'sleep 100 & echo $!; wait'], { processGroup: true, graceMs: 2_000 });
      child = promise.child;
      grandchild = Number(await firstLine(child!.stdout));
      expect(isAlive(grandchild)).toBe(true);
      s.cancel();
      await promise;
    });
    await expect(run).rejects.toBeInstanceOf(ManualCancelation);
    expect(isAlive(child!.pid!)).toBe(false);
    expect(isAlive(grandchild)).toBe(false);
  });

  it.skipIf(process.platform === 'win32')('SIGKILLs a group member that ignores SIGTERM after the leader died', async () => {
    const script = `
      const { spawn } = require('node:child_process');
      const g = spawn(process.execPath, ['-e', ${JSON.stringify(IGNORES_SIGTERM)}], { stdio: ['ignore', 'pipe', 'inherit'] });
      g.stdout.once('data', () => console.log(g.pid));
    `;
    let grandchild = 0;
    const scope = new Cancelable();
    const started = Date.now();
    let cancelledAt = 0;
    const run = scope.run(async (s) => {
      const promise = inScope(s).spawn(NODE, ['-e', script], { processGroup: true, graceMs: 400 });
      grandchild = Number(await firstLine(promise.child!.stdout));
      cancelledAt = Date.now();
      s.cancel();
      await promise;
    });
    await expect(run).rejects.toBeInstanceOf(ManualCancelation);
    expect(Date.now() - cancelledAt).toBeGreaterThanOrEqual(380);
    expect(isAlive(grandchild)).toBe(false);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it.skipIf(process.platform === 'win32')('without processGroup only the child is signalled', async () => {
    let grandchild = 0;
    await new Cancelable()
      .run(async (s) => {
        const promise = inScope(s).spawn('bash', ['-c', 'sleep 30 >/dev/null 2>&1 & echo $!; wait'], { graceMs: 2_000 });
        grandchild = Number(await firstLine(promise.child!.stdout));
        s.cancel();
        await promise;
      })
      .catch(() => undefined);
    try {
      expect(isAlive(grandchild)).toBe(true);
    } finally {
      process.kill(grandchild, 'SIGKILL');
    }
  });

  it('kills a child still running when the scope completes, before run() settles', async () => {
    let child: ChildProcess | undefined;
    let result: Promise<unknown> | undefined;
    const value = await new Cancelable().run(async (s) => {
      const promise = inScope(s).spawn(NODE, ['-e', 'setInterval(() => {}, 1000); console.log("ready")']);
      child = promise.child;
      result = promise;
      await firstLine(child!.stdout);
      return 'done'; // without awaiting the child
    });
    expect(value).toBe('done');
    expect(child!.signalCode).toBe('SIGTERM');
    expect(isAlive(child!.pid!)).toBe(false);
    // The un-awaited promise resolves with how the child ended (the scope was not cancelled).
    await expect(result).resolves.toMatchObject({ code: null, signal: 'SIGTERM' });
  });

  it('kills a child still running when the body fails', async () => {
    let child: ChildProcess | undefined;
    const failure = new Error('boom');
    await expect(
      new Cancelable().run(async (s) => {
        const promise = inScope(s).spawn(NODE, ['-e', 'setInterval(() => {}, 1000); console.log("ready")']);
        child = promise.child;
        void promise.catch(() => undefined);
        await firstLine(child!.stdout);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(isAlive(child!.pid!)).toBe(false);
  });

  it('starts nothing when the scope is already cancelled', async () => {
    const scope = new Cancelable();
    scope.cancel('early');
    await scope
      .run(async (s) => {
        const promise = inScope(s).spawn(NODE, ['-e', 'require("fs").writeFileSync("should-not-exist", "")']);
        expect(promise.child).toBeUndefined();
        await expect(promise).rejects.toBe(s.cancelError);
      })
      .catch(() => undefined);
  });

  it('rejects and stops the child when output exceeds maxBuffer', async () => {
    let child: ChildProcess | undefined;
    await new Cancelable().run(async (s) => {
      const promise = inScope(s).spawn(NODE, ['-e', 'process.stdout.write("x".repeat(5000)); setInterval(() => {}, 1000)'], {
        maxBuffer: 1000,
      });
      child = promise.child;
      await expect(promise).rejects.toMatchObject({ code: 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' });
    });
    expect(isAlive(child!.pid!)).toBe(false);
  });

  it('validates its arguments at the call', async () => {
    await new Cancelable().run((s) => {
      expect(() => inScope(s).spawn('')).toThrow(/command must be a non-empty string/);
      expect(() => inScope(s).spawn(NODE, 'x' as unknown as string[])).toThrow(/args must be an array/);
      expect(() => inScope(s).spawn(NODE, [1 as unknown as string])).toThrow(/args\[0\] must be a string/);
      expect(() => inScope(s).spawn(NODE, [], { graceMs: -1 })).toThrow(RangeError);
      expect(() => inScope(s).spawn(NODE, [], { killSignal: 'SIGNOPE' as NodeJS.Signals })).toThrow(/options.killSignal/);
      expect(() => inScope(s).spawn(NODE, [], { maxBuffer: 0 })).toThrow(/options.maxBuffer/);
      expect(() => inScope(s).spawn(NODE, [], { processGroup: 'yes' as unknown as boolean })).toThrow(/options.processGroup/);
    });
  });

  it('refuses to start a child from a scope that is not running', async () => {
    const pending = new Cancelable({ name: 'p' });
    expect(() => spawn(NODE, [], { scope: pending })).toThrow(/spawn\(\) needs a running scope; 'p' is pending/);
    const done = new Cancelable({ name: 'd' });
    await done.run(() => undefined);
    expect(() => spawn(NODE, [], { scope: done })).toThrow(/'d' is completed/);
    expect(() => spawn(NODE)).toThrow(/spawn\(\) needs a scope: pass options\.scope, or call it inside a running scope/);
  });

  it('has a documented default grace period', () => {
    expect(DEFAULT_PROCESS_GRACE_MS).toBe(5_000);
  });
});
