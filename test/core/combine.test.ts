/**
 * SPEC §2 `Cancelable.combine` / `a.combine(b)`: the union of sources and tokens; the first trigger wins
 * with its own reason and message; with several timeouts the earliest wins.
 */
import { describe, expect, it } from 'vitest';
import {
  AbortSignalSource,
  Cancelable,
  CancelationToken,
  DeadlineSource,
  ManualCancelation,
  SignalCancelation,
  TimeoutCancelation,
  TimeoutSource,
  TokenSource,
} from '../../src/index.js';
import { rejection, track } from './helpers.js';
import { ManualClock } from './manual-clock.js';

describe('Cancelable.combine', () => {
  it('builds a scope from scopes, sources, tokens and AbortSignals without starting anything', () => {
    const token = new CancelationToken();
    const controller = new AbortController();
    const clock = new ManualClock();
    const combined = Cancelable.combine(
      [Cancelable.withTimeout(1_000), new TimeoutSource(500), token, controller.signal],
      { clock },
    );
    expect(combined.status).toBe('pending');
    expect(combined.name).toBe('combined');
    expect(clock.pending).toBe(0);
    expect(token.listenerCount).toBe(0);
    const kinds = combined.sources.map((s) => s.constructor.name);
    expect(kinds).toEqual(['TimeoutSource', 'TokenSource', 'TimeoutSource', 'TokenSource', 'AbortSignalSource']);
  });

  it('first trigger wins with its own reason and message: a token before the timeout', async () => {
    const clock = new ManualClock();
    const token = new CancelationToken();
    const combined = Cancelable.combine([new TimeoutSource(100), token], { clock });
    const run = rejection(combined.run((s) => s.sleep(10_000)));
    await clock.tick(40);
    await token.cancel('Demonstration cancel');
    await clock.tick(100); // the timeout would have fired now: it was released instead
    const error = await run;
    expect(error).toBeInstanceOf(ManualCancelation);
    expect((error as Error).message).toBe('Demonstration cancel');
    expect(combined.context.cancelReason).toBe('manual');
    expect(clock.pending).toBe(0);
    expect(token.listenerCount).toBe(0);
  });

  it('first trigger wins: the timeout before the token', async () => {
    const clock = new ManualClock();
    const token = new CancelationToken();
    const combined = Cancelable.combine([token, new TimeoutSource(100)], { clock });
    const run = rejection(combined.run((s) => s.sleep(10_000)));
    await clock.tick(100);
    token.cancelSync('too late');
    const error = (await run) as TimeoutCancelation;
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect(error.timeoutMs).toBe(100);
    expect(error.message).toBe('Operation timed out after 100ms');
    expect(token.listenerCount).toBe(0);
  });

  it('with several timeouts, the earliest deadline wins (whatever the order)', async () => {
    const clock = new ManualClock();
    const combined = Cancelable.combine([new TimeoutSource(500), new TimeoutSource(100), new TimeoutSource(300)], {
      clock,
    });
    const run = track(combined.run((s) => s.sleep(10_000)));
    expect(clock.delays).toEqual([100, 300, 500, 10_000]);
    await clock.tick(99);
    expect(run.settled).toBe(false);
    await clock.tick(1);
    const error = (await rejection(run.promise)) as TimeoutCancelation;
    expect(error.timeoutMs).toBe(100);
    expect(clock.pending).toBe(0);
  });

  it('a deadline earlier than a timeout wins, and the other way round', async () => {
    const clock = new ManualClock();
    const byDeadline = Cancelable.combine([new TimeoutSource(1_000), new DeadlineSource(clock.now() + 200)], { clock });
    const first = rejection(byDeadline.run((s) => s.sleep(10_000)));
    await clock.tick(200);
    expect(((await first) as Error).message).toMatch(/^Deadline .* reached$/);

    const byTimeout = Cancelable.combine([new DeadlineSource(clock.now() + 1_000), new TimeoutSource(200)], { clock });
    const second = rejection(byTimeout.run((s) => s.sleep(10_000)));
    await clock.tick(200);
    expect(((await second) as TimeoutCancelation).timeoutMs).toBe(200);
  });

  it('a.combine(b): the earliest of their timeouts, keeping a\'s name', async () => {
    const clock = new ManualClock();
    const a = Cancelable.withTimeout(10_000, { name: 'a' });
    const b = Cancelable.withTimeout(100, { name: 'b' });
    const combined = a.combine(b);
    expect(combined.name).toBe('a');
    const inClock = Cancelable.combine([combined], { clock }); // same sources, on the manual clock
    const run = rejection(inClock.run((s) => s.sleep(60_000)));
    await clock.tick(100);
    expect(((await run) as TimeoutCancelation).timeoutMs).toBe(100);
  });

  it('a union of tokens: any of them cancels, with its own message', async () => {
    const t1 = new CancelationToken();
    const t2 = new CancelationToken();
    const t3 = new CancelationToken();
    const combined = Cancelable.combine([t1, t2, t3]);
    const run = rejection(combined.run((s) => s.sleep(60_000)));
    t2.cancelSync({ reason: 'signal', message: 'second token' });
    t1.cancelSync('first token, too late');
    const error = await run;
    expect(error).toBeInstanceOf(SignalCancelation);
    expect((error as Error).message).toBe('second token');
    for (const t of [t1, t2, t3]) expect(t.listenerCount).toBe(0);
    expect(t3.isCancelled).toBe(false); // never cancelled by the scope
  });

  it("includes a combined scope's own token, even one not read yet", async () => {
    const a = new Cancelable({ name: 'a' });
    const combined = Cancelable.combine([a]);
    const run = rejection(combined.run((s) => s.sleep(60_000)));
    await a.token.cancel('cancel a via its token');
    const error = await run;
    expect((error as Error).message).toBe('cancel a via its token');
  });

  it("includes the sources of a scope built with withToken (the seed's combine step)", async () => {
    const token = new CancelationToken();
    const clock = new ManualClock();
    const combined = Cancelable.withTimeout(10_000).combine(Cancelable.withToken(token));
    const run = rejection(Cancelable.combine([combined], { clock }).run((s) => s.sleep(60_000)));
    token.cancelSync('manual');
    expect(((await run) as Error).message).toBe('manual');
  });

  it('AbortSignal items: foreign aborts cancel with a translated reason', async () => {
    const controller = new AbortController();
    const combined = Cancelable.combine([controller.signal, new CancelationToken()]);
    const run = rejection(combined.run((s) => s.sleep(60_000)));
    controller.abort(new DOMException('upstream timed out', 'TimeoutError'));
    const error = await run;
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect((error as Error).cause).toBe(controller.signal.reason);

    const already = Cancelable.combine([AbortSignal.abort('gone')]);
    const second = await rejection(already.run((s) => s.sleep(1)));
    expect(second).toBeInstanceOf(ManualCancelation);
    expect((second as Error).message).toBe('Aborted: gone');
  });

  it('shares source instances between scopes: both run at once, each with its own timer', async () => {
    const clock = new ManualClock();
    const timeout = new TimeoutSource(100);
    const token = new CancelationToken();
    const a = new Cancelable({ clock, name: 'a', sources: [timeout, new TokenSource(token)] });
    const b = Cancelable.combine([a], { clock, name: 'b' });
    const runA = rejection(a.run((s) => s.sleep(10_000)));
    await clock.tick(50);
    const runB = rejection(b.run((s) => s.sleep(10_000)));
    await clock.tick(50);
    expect(((await runA) as TimeoutCancelation).timeoutMs).toBe(100);
    expect(b.isCancelled).toBe(false); // b started 50 ms later: its own activation of the same source
    await clock.tick(50);
    expect(((await runB) as TimeoutCancelation).timeoutMs).toBe(100);
    expect(clock.pending).toBe(0);
    expect(token.listenerCount).toBe(0);
  });

  it('options.sources are kept and come first; source items are used as they are', async () => {
    const controller = new AbortController();
    const source = new AbortSignalSource(controller.signal);
    const combined = Cancelable.combine([source], { sources: [new TimeoutSource(1)] });
    expect(combined.sources.map((s) => s.constructor.name)).toEqual(['TimeoutSource', 'AbortSignalSource']);
    expect(combined.sources[1]).toBe(source);
  });
});
