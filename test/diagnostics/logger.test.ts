/**
 * The optional logger: console-style and pino-style, global or per scope; a broken logger breaks
 * nothing; and without a logger the library prints nothing at all.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cancelable, CancelationSource, CancelationToken, getLogger, setLogger, type Logger } from '../../src/index.js';
import { ManualClock } from '../../src/testing/index.js';

afterEach(() => {
  setLogger(undefined);
});

type Line = { level: string; args: unknown[] };

/** A console-like logger: `(message, data)`. */
function consoleLike(): { logger: Required<Logger>; lines: Line[] } {
  const lines: Line[] = [];
  const at =
    (level: string) =>
    (...args: unknown[]): void => {
      lines.push({ level, args });
    };
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/** A pino-like logger (detected by `child` and `levels`): `(data, message)`. */
function pinoLike(): { logger: Logger; lines: Line[] } {
  const { logger, lines } = consoleLike();
  const pino = { ...logger, levels: { values: { debug: 20, info: 30, warn: 40, error: 50 } }, child: () => pino };
  return { logger: pino, lines };
}

async function abandonedRun(logger?: Logger): Promise<void> {
  const clock = new ManualClock();
  const run = Cancelable.withTimeout(10, { clock, graceMs: 5, name: 'stubborn', ...(logger ? { logger } : {}) })
    .run(() => new Promise<void>(() => {}))
    .catch(() => undefined);
  await clock.advance(15);
  await run;
}

describe('logger', () => {
  it('setLogger sets, returns the previous one, and validates', () => {
    const { logger } = consoleLike();
    expect(setLogger(logger)).toBeUndefined();
    expect(getLogger()).toBe(logger);
    expect(setLogger(undefined)).toBe(logger);
    expect(() => setLogger('console' as never)).toThrow(/logger must be an object .* got "console"/);
    expect(() => setLogger(null as never)).toThrow(TypeError);
  });

  it('console-style: message first, data second; levels by kind of event', async () => {
    const { logger, lines } = consoleLike();
    setLogger(logger);
    const failure = new Error('cb failed');
    await new Cancelable({ name: 'job', clock: new ManualClock() })
      .onComplete(() => {
        throw failure;
      })
      .run(() => 1);
    await abandonedRun();
    const byLevel = (level: string): unknown[][] => lines.filter((l) => l.level === level).map((l) => l.args);
    expect(byLevel('error')).toEqual([
      ["cancelable: onComplete callback of 'job' failed", { operationId: expect.any(String), callback: 'onComplete', error: failure }],
    ]);
    expect(byLevel('warn')).toEqual([
      ["cancelable: 'stubborn' ignored cancellation for 5ms; not waiting for it", { operationId: expect.any(String) }],
    ]);
    const debug = byLevel('debug').map((args) => args[0]);
    expect(debug).toContain("cancelable: 'job' ended completed after 0ms");
    expect(debug).toContain("cancelable: 'stubborn' cancel requested (timeout): Operation timed out after 10ms");
    expect(debug).toContain("cancelable: 'stubborn' ended cancelled after 15ms");
    const cancelLine = byLevel('debug').find((args) => String(args[0]).includes('cancel requested'));
    expect(cancelLine?.[1]).toEqual({ operationId: expect.any(String), reason: 'timeout', source: 'timeout(10ms)' });
  });

  it('pino-style: data first with the error under err, message second', async () => {
    const { logger, lines } = pinoLike();
    setLogger(logger);
    const failure = new Error('source failed');
    class Broken extends CancelationSource {
      start(): void {}
      stop(): void {
        throw failure;
      }
    }
    await new Cancelable({ name: 'p', sources: [new Broken({ name: 'broken' })] }).run(() => 1);
    const warn = lines.find((l) => l.level === 'warn');
    expect(warn?.args).toEqual([
      { operationId: expect.any(String), source: 'broken', phase: 'stop', err: failure },
      "cancelable: source 'broken' failed in stop",
    ]);
    const debug = lines.find((l) => l.level === 'debug');
    expect(debug?.args[0]).toEqual(expect.objectContaining({ operationId: expect.any(String) }));
    expect(typeof debug?.args[1]).toBe('string');
  });

  it('a scope logger takes precedence over the global one', async () => {
    const global = consoleLike();
    const local = consoleLike();
    setLogger(global.logger);
    await abandonedRun(local.logger);
    expect(local.lines.some((l) => l.level === 'warn')).toBe(true);
    expect(global.lines).toEqual([]);
    await abandonedRun();
    expect(global.lines.some((l) => l.level === 'warn')).toBe(true);
  });

  it('token callback failures go to the global logger', async () => {
    const { logger, lines } = consoleLike();
    setLogger(logger);
    const token = new CancelationToken();
    token.onCancel(() => {
      throw new Error('x');
    });
    await token.cancel();
    expect(lines.map((l) => [l.level, l.args[0]])).toEqual([['error', "cancelable: token.onCancel callback of '?' failed"]]);
  });

  it('a logger that throws, or lacks methods, breaks nothing', async () => {
    setLogger({
      warn: () => {
        throw new Error('logger down');
      },
    });
    await abandonedRun();
    await expect(
      new Cancelable()
        .onComplete(() => {
          throw new Error('cb');
        })
        .run(() => 'ok'),
    ).resolves.toBe('ok');
    const partial = { error: vi.fn() };
    setLogger(partial);
    await abandonedRun();
    expect(partial.error).not.toHaveBeenCalled();
  });
});

describe('the library prints nothing by itself', () => {
  it('no write to stdout/stderr and no console call while scopes cancel, fail, abandon and callbacks throw', async () => {
    const writes: string[] = [];
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      writes.push(`stdout: ${String(chunk)}`);
      return true;
    });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      writes.push(`stderr: ${String(chunk)}`);
      return true;
    });
    const consoleSpies = (['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation(() => {}),
    );
    try {
      expect(getLogger()).toBeUndefined();
      const broken = (): never => {
        throw new Error('callback failure');
      };
      // cancelled, with failing callbacks everywhere
      await Cancelable.withTimeout(1)
        .onStart(broken)
        .onCancel(broken)
        .onProgress(broken)
        .run(async (s) => {
          s.reportProgress('x');
          await s.sleep(1_000);
        })
        .catch(() => undefined);
      // failed
      await new Cancelable().onError(broken).run(() => Promise.reject(new Error('fail'))).catch(() => undefined);
      // abandoned, then settling late
      let late!: () => void;
      await Cancelable.withTimeout(1, { graceMs: 1 })
        .run(() => new Promise<void>((resolve) => (late = resolve)))
        .catch(() => undefined);
      late();
      // a source failing to stop, a token callback failing
      class Broken extends CancelationSource {
        start(): void {}
        stop(): void {
          throw new Error('stop');
        }
      }
      await new Cancelable({ sources: [new Broken()] }).run(() => 1);
      const token = new CancelationToken();
      token.onCancel(broken);
      await token.cancel();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
      for (const spy of consoleSpies) spy.mockRestore();
    }
    expect(writes).toEqual([]);
    for (const spy of consoleSpies) expect(spy).not.toHaveBeenCalled();
  });
});
