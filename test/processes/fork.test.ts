import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Cancelable,
  ManualCancelation,
  ParentCancelation,
  SignalCancelation,
  TimeoutCancelation,
} from '../../src/index.js';
import { fixture, firstLine, isAlive, NODE, TSX_EXEC_ARGV, waitFor } from './helpers.js';
import { inScope } from '../harness/in-scope.js';
import { fork } from '../../src/processes/index.js';

const tsx = { execArgv: TSX_EXEC_ARGV };
const dir = mkdtempSync(join(tmpdir(), 'cancelable-fork-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Saw {
  type: 'saw';
  name: string;
  reason: string;
  message: string;
  timeoutMs?: number;
}

/** Resolves with the first user message of `type` the child sends. */
function nextMessage<T>(child: ChildProcess | undefined, type: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (message: { type?: string }): void => {
      if (message?.type !== type) return;
      child!.off('message', onMessage);
      resolve(message as T);
    };
    child!.on('message', onMessage);
  });
}

describe('scope.fork and Cancelable.fromParentProcess', () => {
  it("resolves with the value the child's run returns", async () => {
    const result = await new Cancelable().run((scope) =>
      inScope(scope).fork<{ args: string[]; pid: number }>(fixture('fork-echo.ts'), ['a', 'b c'], tsx),
    );
    expect(result.args).toEqual(['a', 'b c']);
    expect(isAlive(result.pid)).toBe(false); // settled once the child had exited
  });

  it('accepts a file: URL', async () => {
    const url = new URL('./fixtures/fork-echo.ts', import.meta.url);
    const result = await new Cancelable().run((scope) => inScope(scope).fork<{ args: string[] }>(url, [], tsx));
    expect(result.args).toEqual([]);
  });

  it("rejects with the child's error, revived with name, message, code and stack", async () => {
    const error = await new Cancelable()
      .run((scope) => inScope(scope).fork(fixture('fork-throws.ts'), [], tsx))
      .catch((e: unknown) => e as Error & { code?: string });
    if (!(error instanceof Error)) throw new Error('expected a rejection');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('FixtureError');
    expect(error.message).toBe('bad input in child');
    expect((error as Error & { code?: string }).code).toBe('EFIXTURE');
    expect(error.stack).toContain('fork-throws.ts');
  });

  it("cancels the child's scope with the parent's reason and message, and rejects at once", async () => {
    const scope = new Cancelable({ name: 'parent' });
    let saw: Promise<Saw> | undefined;
    let child: ChildProcess | undefined;
    const error = await scope
      .run(async (s) => {
        const promise = inScope(s).fork(fixture('fork-wait.ts'), [], tsx);
        child = promise.child;
        saw = nextMessage<Saw>(child, 'saw');
        await nextMessage(child, 'started');
        s.cancel('Stopped by the operator');
        await promise;
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManualCancelation);
    expect(await saw).toMatchObject({ name: 'ManualCancelation', reason: 'manual', message: 'Stopped by the operator' });
    // run() settled after the child exited on its own (its run rejected, it had nothing left to do).
    expect(child!.exitCode).toBe(0);
  });

  it('forwards a timeout with its fields, even when it fires before the child listens', async () => {
    // 50 ms: the timeout fires while the child is still loading (tsx takes longer than that); the
    // child's 'ready' makes the parent repeat the cancel it may have missed.
    const scope = Cancelable.withTimeout(50);
    let saw: Promise<Saw> | undefined;
    const started = Date.now();
    await scope
      .run(async (s) => {
        const promise = inScope(s).fork(fixture('fork-wait.ts'), [], tsx);
        saw = nextMessage<Saw>(promise.child, 'saw');
        await promise;
      })
      .catch(() => undefined);
    expect(await saw).toMatchObject({
      name: 'TimeoutCancelation',
      reason: 'timeout',
      timeoutMs: 50,
      message: 'Operation timed out after 50ms',
    });
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('SIGKILLs a child that does not exit graceMs after the cancel message', async () => {
    const scope = new Cancelable();
    let child: ChildProcess | undefined;
    let saw: Promise<Saw> | undefined;
    let cancelledAt = 0;
    await scope
      .run(async (s) => {
        const promise = inScope(s).fork(fixture('fork-wait.ts'), ['ignore'], { ...tsx, graceMs: 400 });
        child = promise.child;
        saw = nextMessage<Saw>(child, 'saw');
        await nextMessage(child, 'started');
        cancelledAt = Date.now();
        s.cancel({ reason: 'signal', message: 'Received signal SIGTERM' });
        await promise;
      })
      .catch((e: unknown) => expect(e).toBeInstanceOf(SignalCancelation));
    expect((await saw)!.reason).toBe('signal');
    expect(child!.signalCode).toBe('SIGKILL');
    expect(Date.now() - cancelledAt).toBeGreaterThanOrEqual(380);
  });

  it('cancels the child (ParentCancelation) when the scope ends while it runs', async () => {
    let saw: Promise<Saw> | undefined;
    let forked: Promise<unknown> | undefined;
    const value = await new Cancelable({ name: 'quick' }).run(async (s) => {
      forked = inScope(s).fork(fixture('fork-wait.ts'), [], tsx);
      forked.catch(() => undefined);
      saw = nextMessage<Saw>((forked as { child?: ChildProcess }).child, 'saw');
      await nextMessage((forked as { child?: ChildProcess }).child, 'started');
      return 'body done';
    });
    expect(value).toBe('body done');
    expect(await saw).toMatchObject({ name: 'ParentCancelation', reason: 'parent', message: 'Parent operation ended' });
    await expect(forked).rejects.toBeInstanceOf(ParentCancelation);
  });

  it('a forked child cancels itself when its parent process is SIGKILLed (no orphans)', async () => {
    const marker = join(dir, 'marker.json');
    let grandchild = 0;
    await new Cancelable().run(async (s) => {
      const middle = inScope(s).spawn(NODE, [...TSX_EXEC_ARGV, fixture('middle.ts'), marker], { stdio: ['ignore', 'pipe', 'inherit'] });
      grandchild = Number(await firstLine(middle.child!.stdout));
      expect(isAlive(grandchild)).toBe(true);
      process.kill(middle.child!.pid!, 'SIGKILL');
      const ended = await middle;
      expect(ended.signal).toBe('SIGKILL');
    });
    await waitFor(() => existsSync(marker), 10_000, 'the grandchild to write its marker');
    await waitFor(() => !isAlive(grandchild), 10_000, 'the grandchild to exit');
    expect(JSON.parse(readFileSync(marker, 'utf8'))).toMatchObject({
      name: 'ParentCancelation',
      reason: 'parent',
      message: expect.stringMatching(/^Parent process \d+ is gone \(IPC channel closed\)$/),
    });
  });

  it('rejects with ERR_CHILD_PROCESS_NO_RESULT when the child exits without a result', async () => {
    await expect(new Cancelable().run((s) => inScope(s).fork(fixture('fork-no-result.ts'), [], tsx))).rejects.toMatchObject({
      code: 'ERR_CHILD_PROCESS_NO_RESULT',
      exitCode: 2,
      message: expect.stringContaining('exited with code 2 without sending a result'),
    });
  });

  it('rejects with a TypeError when the value cannot be sent; the child keeps its value', async () => {
    let child: ChildProcess | undefined;
    const error = await new Cancelable()
      .run((s) => {
        const promise = inScope(s).fork(fixture('fork-unserializable.ts'), [], tsx);
        child = promise.child;
        return promise;
      })
      .catch((e: unknown) => e as Error);
    if (!(error instanceof Error)) throw new Error('expected a rejection');
    expect(error.name).toBe('TypeError');
    expect(error.message).toMatch(/could not be sent to the parent/);
    expect(child!.exitCode).toBe(0);
  });

  it('supports enter() / await using in the child (result undefined)', async () => {
    await expect(new Cancelable().run((s) => inScope(s).fork(fixture('fork-enter.ts'), [], tsx))).resolves.toBeUndefined();
  });

  it('fromParentProcess() without an IPC channel throws a clear error', async () => {
    const { stdout } = await new Cancelable().run((s) => inScope(s).spawn(NODE, [...TSX_EXEC_ARGV, fixture('no-ipc.ts')]));
    expect(stdout).toMatch(/fromParentProcess\(\) needs an IPC channel to the parent process: start this module with fork\(\)/);
  });

  it('starts nothing when the scope is already cancelled', async () => {
    const scope = Cancelable.withTimeout(0);
    scope.cancel({ reason: 'timeout' });
    await scope
      .run(async (s) => {
        const promise = inScope(s).fork(fixture('fork-echo.ts'), [], tsx);
        expect(promise.child).toBeUndefined();
        await expect(promise).rejects.toBeInstanceOf(TimeoutCancelation);
      })
      .catch(() => undefined);
  });

  it('validates its arguments at the call', async () => {
    await new Cancelable().run((s) => {
      expect(() => inScope(s).fork('')).toThrow(/module must be a path or a file: URL/);
      expect(() => inScope(s).fork(new URL('https://example.com/x.js'))).toThrow(/file: URL/);
      expect(() => inScope(s).fork(fixture('fork-echo.ts'), [3 as unknown as string])).toThrow(/args\[0\]/);
      expect(() => inScope(s).fork(fixture('fork-echo.ts'), [], { graceMs: Number.NaN })).toThrow(RangeError);
    });
    expect(() => fork(fixture('fork-echo.ts'), [], { scope: new Cancelable({ name: 'idle' }) })).toThrow(/fork\(\) needs a running scope/);
    expect(() => fork(fixture('fork-echo.ts'))).toThrow(/fork\(\) needs a scope: pass options.scope/);
  });
});
