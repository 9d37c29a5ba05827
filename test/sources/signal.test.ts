import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  AllOfSource,
  AnyOfSource,
  Cancelable,
  SignalCancelation,
  SignalSource,
  TimeoutSource,
  defaultSignals,
} from '../../src/index.js';
import { runtime } from '../../src/core/runtime.js';
import { CANCEL_SIGNALS, checkSignalName } from '../../src/sources/signal.js';
import { signalSubscriberCount } from '../../src/sources/signal-hub.js';
import { deferred, ManualClock, rejection } from './clock.js';

const count = (signal: NodeJS.Signals): number => process.listenerCount(signal);

describe('SignalSource: validation', () => {
  it('rejects unknown, uncatchable and unsafe signals with a RangeError naming the parameter', () => {
    expect(() => new SignalSource('SIGFOO' as NodeJS.Signals)).toThrow(RangeError);
    expect(() => new SignalSource('SIGFOO' as NodeJS.Signals)).toThrow(/signals\[0\].*"SIGFOO"/);
    expect(() => new SignalSource('SIGINT', 'sigterm' as NodeJS.Signals)).toThrow(/signals\[1\].*did you mean 'SIGTERM'/);
    expect(() => new SignalSource('INT' as NodeJS.Signals)).toThrow(/did you mean 'SIGINT'/);
    expect(() => new SignalSource('SIGKILL')).toThrow(/SIGKILL cannot be caught/);
    expect(() => new SignalSource('SIGSTOP')).toThrow(/SIGSTOP cannot be caught/);
    expect(() => new SignalSource('SIGSEGV')).toThrow(/SIGSEGV cannot be handled safely/);
    expect(() => Cancelable.withSignal('SIGTERM', 'SIGKILL')).toThrow(/signals\[1\]: SIGKILL/);
    expect(() => Cancelable.withSignal('NOPE' as NodeJS.Signals, { name: 'x' })).toThrow(RangeError);
  });

  it('rejects what is not a signal name with a TypeError', () => {
    expect(() => new SignalSource(2 as unknown as NodeJS.Signals)).toThrow(TypeError);
    expect(() => new SignalSource(2 as unknown as NodeJS.Signals)).toThrow(/signals\[0\] must be a signal name.*got 2/);
    expect(() => new SignalSource(['SIGINT'] as unknown as NodeJS.Signals)).toThrow(/got an array of length 1/);
    expect(() => Cancelable.withSignal(...([{ name: 'x' }, 'SIGINT'] as unknown as ['SIGINT']))).toThrow(/signals\[0\].*got an object/);
    expect(() => new SignalSource('SIGINT', { exitOnSecondSignal: 'yes' as unknown as boolean })).toThrow(
      /options\.exitOnSecondSignal must be a boolean/,
    );
    expect(() => Cancelable.withSignal('SIGINT', { exitOnSecondSignal: 1 as unknown as boolean })).toThrow(TypeError);
    expect(() => new SignalSource('SIGINT', { name: 3 as unknown as string })).toThrow(/options\.name/);
  });

  it('on Windows accepts only the signals Windows delivers', () => {
    // (Checked against this platform's os.constants.signals: Linux has no SIGBREAK.)
    for (const ok of ['SIGINT', 'SIGBREAK', 'SIGHUP'].filter((s) => Object.hasOwn(constants.signals, s))) {
      expect(checkSignalName('signals[0]', ok, 'win32')).toBe(ok);
    }
    expect(() => checkSignalName('signals[0]', 'SIGTERM', 'win32')).toThrow(
      /signals\[0\]: SIGTERM is never delivered on Windows as a request to stop; use SIGINT, SIGBREAK or SIGHUP/,
    );
    expect(() => checkSignalName('signals[0]', 'SIGWINCH', 'win32')).toThrow(RangeError);
    expect(() => checkSignalName('signals[0]', 'SIGUSR2', 'win32')).toThrow(RangeError);
    expect(defaultSignals('win32')).toEqual(['SIGINT', 'SIGBREAK']);
    expect(defaultSignals('linux')).toEqual(['SIGINT', 'SIGTERM']);
  });

  it('accepts only the signals that ask a process to stop, and lists them when refusing one (issue 16 #15)', () => {
    for (const ok of CANCEL_SIGNALS.filter((s) => Object.hasOwn(constants.signals, s))) {
      expect(new SignalSource(ok).signals).toEqual([ok]);
    }
    const refused: [string, RegExp][] = [
      ['SIGUSR1', /inspector/],
      ['SIGCHLD', /the OS sends it in normal operation/],
      ['SIGWINCH', /the OS sends it in normal operation/],
      ['SIGCONT', /the OS sends it in normal operation/],
      ['SIGURG', /the OS sends it in normal operation/],
      ['SIGTSTP', /job control/],
      ['SIGPIPE', /the runtime or libraries use it/],
      ['SIGALRM', /the runtime or libraries use it/],
      ['SIGABRT', /cannot be handled safely/],
    ];
    for (const [name, why] of refused) {
      expect(() => Cancelable.withSignal(name as NodeJS.Signals), name).toThrow(RangeError);
      expect(() => Cancelable.withSignal(name as NodeJS.Signals), name).toThrow(why);
      expect(() => new SignalSource('SIGINT', name as NodeJS.Signals), name).toThrow(new RegExp(`signals\\[1\\]: ${name}`));
    }
    expect(() => Cancelable.withSignal('SIGUSR1')).toThrow(
      /signals\[0\]: SIGUSR1 does not ask a process to stop \(Node's inspector uses it\), so it cannot cancel a scope; use one of SIGINT, SIGTERM, SIGHUP, SIGQUIT, .*SIGUSR2/,
    );
  });

  it('defaults to SIGINT and SIGTERM, drops duplicates, and splits withSignal options', () => {
    expect(new SignalSource().signals).toEqual(defaultSignals());
    expect(new SignalSource('SIGTERM', 'SIGINT', 'SIGTERM').signals).toEqual(['SIGTERM', 'SIGINT']);
    expect(new SignalSource('SIGHUP').name).toBe('signal(SIGHUP)');
    expect(new SignalSource('SIGHUP', { name: 'reload' }).name).toBe('reload');
    const plain = Cancelable.withSignal();
    expect((plain.sources[0] as SignalSource).signals).toEqual(defaultSignals());
    expect((plain.sources[0] as SignalSource).exitOnSecondSignal).toBe(false);
    const scope = Cancelable.withSignal('SIGUSR2', { name: 'server', exitOnSecondSignal: true, metadata: { a: 1 } });
    expect(scope.name).toBe('server');
    expect(scope.metadata).toEqual({ a: 1 });
    const source = scope.sources[0] as SignalSource;
    expect(source.signals).toEqual(['SIGUSR2']);
    expect(source.exitOnSecondSignal).toBe(true);
    expect(source.reason).toBe('signal');
    const onlyOptions = Cancelable.withSignal({ name: 'app' });
    expect(onlyOptions.name).toBe('app');
    expect((onlyOptions.sources[0] as SignalSource).signals).toEqual(defaultSignals());
  });
});

describe('SignalSource: process listeners', () => {
  it('installs its listeners at start, not at construction, and removes them at the end', async () => {
    const before = { int: count('SIGINT'), term: count('SIGTERM') };
    const scope = Cancelable.withSignal();
    expect(count('SIGINT')).toBe(before.int);
    let inside = { int: -1, term: -1 };
    await scope.run(async () => {
      inside = { int: count('SIGINT'), term: count('SIGTERM') };
    });
    expect(inside).toEqual({ int: before.int + 1, term: before.term + 1 });
    expect({ int: count('SIGINT'), term: count('SIGTERM') }).toEqual(before);
  });

  it('removes its listeners when the body throws, too', async () => {
    const before = count('SIGINT');
    await expect(
      Cancelable.withSignal('SIGINT').run(() => {
        throw new Error('fail');
      }),
    ).rejects.toThrow('fail');
    expect(count('SIGINT')).toBe(before);
  });

  it('shares one process listener per signal among any number of scopes', async () => {
    const before = { int: count('SIGINT'), term: count('SIGTERM') };
    const gate = deferred();
    const n = 500;
    let started = 0;
    const runs: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      runs.push(
        Cancelable.withSignal().run(async () => {
          started++;
          await gate.promise;
        }),
      );
    }
    expect(started).toBe(n);
    expect(count('SIGINT')).toBe(before.int + 1);
    expect(count('SIGTERM')).toBe(before.term + 1);
    expect(signalSubscriberCount('SIGINT')).toBe(n);
    // A scope with the same signal twice (a source of its own plus withSignal) still adds nothing.
    const extra = new Cancelable({ sources: [new SignalSource('SIGINT'), new SignalSource('SIGINT')] });
    await extra.run(() => {
      expect(count('SIGINT')).toBe(before.int + 1);
      expect(signalSubscriberCount('SIGINT')).toBe(n + 2);
    });
    gate.resolve();
    await Promise.all(runs);
    expect(count('SIGINT')).toBe(before.int);
    expect(count('SIGTERM')).toBe(before.term);
    expect(signalSubscriberCount('SIGINT')).toBe(0);
  });

  it('keeps the shared listeners in the process-wide runtime (shared by the ESM and CJS builds)', async () => {
    await Cancelable.withSignal('SIGUSR2').run(() => {
      const hub = runtime.slots.get('sources.signal-hub.v1') as Map<string, unknown>;
      expect(hub).toBeInstanceOf(Map);
      expect(hub.has('SIGUSR2')).toBe(true);
    });
    expect((runtime.slots.get('sources.signal-hub.v1') as Map<string, unknown>).has('SIGUSR2')).toBe(false);
  });
});

describe('SignalSource: real signals in-process', () => {
  it('cancels every listening scope with SignalCancelation when the signal arrives', async () => {
    const before = count('SIGUSR2');
    const scopes = [Cancelable.withSignal('SIGUSR2'), Cancelable.withSignal('SIGUSR2', 'SIGHUP'), Cancelable.withSignal('SIGUSR2')];
    const runs = scopes.map((scope) => rejection(scope.run((s) => s.sleep(30_000))));
    // Ended scopes no longer listen: this one completes before the signal.
    const ended = Cancelable.withSignal('SIGUSR2');
    await ended.run(() => 'done');
    expect(count('SIGUSR2')).toBe(before + 1);
    process.kill(process.pid, 'SIGUSR2');
    const errors = await Promise.all(runs);
    for (const error of errors) {
      expect(error).toBeInstanceOf(SignalCancelation);
      expect((error as SignalCancelation).signal).toBe('SIGUSR2');
      expect(error.message).toBe('Received signal SIGUSR2');
      expect((error as SignalCancelation).reason).toBe('signal');
    }
    expect(scopes.map((s) => s.context.cancelReason)).toEqual(['signal', 'signal', 'signal']);
    expect(ended.status).toBe('completed');
    expect(count('SIGUSR2')).toBe(before);
    expect(count('SIGHUP')).toBe(0);
  });

  it('ignores a second signal while the scope ends (without exitOnSecondSignal)', async () => {
    const scope = Cancelable.withSignal('SIGUSR2', { graceMs: Infinity });
    const gate = deferred();
    const cancelled = deferred();
    const run = rejection(
      scope.run(async (s) => {
        s.signal.addEventListener('abort', () => cancelled.resolve(), { once: true });
        await s.shield(() => gate.promise);
      }),
    );
    process.kill(process.pid, 'SIGUSR2');
    await cancelled.promise;
    process.kill(process.pid, 'SIGUSR2');
    // The second delivery goes through the same listener; the scope is still running (shielded).
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(scope.status).toBe('running');
    gate.resolve();
    const error = await run;
    expect(error.message).toBe('Received signal SIGUSR2');
    expect(count('SIGUSR2')).toBe(0);
  });

  it('works inside any-of and all-of', async () => {
    const clock = new ManualClock();
    const any = new Cancelable({ clock, sources: [new AnyOfSource([new TimeoutSource(60_000), new SignalSource('SIGUSR2')])] });
    const all = new Cancelable({ clock, sources: [new AllOfSource([new TimeoutSource(1_000), new SignalSource('SIGUSR2')])] });
    const anyRun = rejection(any.run((s) => s.sleep(120_000)));
    const allRun = rejection(all.run((s) => s.sleep(120_000)));
    clock.advance(1_000);
    expect(all.isCancelled).toBe(false);
    process.kill(process.pid, 'SIGUSR2');
    const [anyError, allError] = await Promise.all([anyRun, allRun]);
    expect(anyError).toBeInstanceOf(SignalCancelation);
    expect(anyError.message).toBe('Received signal SIGUSR2');
    expect(allError).toBeInstanceOf(SignalCancelation);
    expect((allError as SignalCancelation).signal).toBe('SIGUSR2');
    expect(allError.message).toBe('All 2 sources have triggered');
    expect(count('SIGUSR2')).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
