import { describe, expect, it } from 'vitest';
import { Cancelable, ManualCancelation, TimeoutCancelation } from '../../src/index.js';
import {
  ManualClock,
  OperationRecorder,
  SeededRandom,
  simulateStream,
  type SimulateStreamConfig,
  type SimulatedStreamEvent,
} from '../../src/testing/index.js';

const TEXT =
  'The quick brown fox jumps over the lazy dog. Streaming tokens arrive with jitter, in bursts, ' +
  'and sometimes after a network stall. 🦊 Emoji stay whole. '.repeat(3);

/** Plays a whole stream on a ManualClock; returns every event. */
async function play(text: string, config: SimulateStreamConfig = {}): Promise<SimulatedStreamEvent[]> {
  const clock = config.clock instanceof ManualClock ? config.clock : new ManualClock();
  const stream = simulateStream(text, { clock, ...config });
  const events: SimulatedStreamEvent[] = [];
  const done = (async () => {
    for await (const event of stream) events.push(event);
  })();
  await clock.runAll();
  await done;
  return events;
}

const dataOf = (events: SimulatedStreamEvent[]) =>
  events.filter((event): event is Extract<SimulatedStreamEvent, { type: 'data' }> => event.type === 'data');

describe('simulateStream', () => {
  it('streams the whole text in chunks, then a complete event', async () => {
    const events = await play(TEXT, { seed: 1, chunkSize: 5 });
    const data = dataOf(events);
    expect(data.map((event) => event.chunk).join('')).toBe(TEXT);
    expect(data.map((event) => event.chunkNumber)).toEqual(data.map((_e, i) => i + 1));
    expect(data.at(-1)?.position).toBe(TEXT.length);
    expect(data.every((event) => event.totalLength === TEXT.length && event.chunkSize === event.chunk.length)).toBe(true);
    expect(data.slice(0, -1).every((event) => event.chunkSize >= 5 || /[\uD800-\uDBFF]/.test(event.chunk))).toBe(true);
    expect(events.at(-1)).toEqual({
      type: 'complete',
      totalChunks: data.length,
      totalLength: TEXT.length,
      timestampMs: expect.any(Number),
    });
    // Timestamps never go back.
    const stamps = events.map((event) => event.timestampMs);
    expect([...stamps].sort((a, b) => a - b)).toEqual(stamps);
  });

  it('the same seed gives exactly the same run; another seed, another run', async () => {
    const config: SimulateStreamConfig = {
      chunkSizeRange: [1, 8],
      chunkSizeWeights: [1, 2, 4, 8, 4, 2, 1, 1],
      burstProbability: 0.2,
      stallProbability: 0.1,
      jitterProbability: 0.5,
    };
    const a = await play(TEXT, { ...config, seed: 'repro-42' });
    const b = await play(TEXT, { ...config, seed: 'repro-42' });
    const c = await play(TEXT, { ...config, seed: 'other' });
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(dataOf(c).map((e) => e.chunk).join('')).toBe(TEXT);
  });

  it('exposes the seed it drew, so a random run can be replayed', async () => {
    const clock = new ManualClock();
    const stream = simulateStream('replay me', { clock, chunkSize: 2 });
    expect(Number.isInteger(stream.seed)).toBe(true);
    await stream.return();
    const first = await play('replay me please', { seed: stream.seed, stallProbability: 0.5 });
    const again = await play('replay me please', { seed: stream.seed, stallProbability: 0.5 });
    expect(again).toEqual(first);
  });

  it('timing: base delay, jitter within bounds, bursts back to back, stalls', async () => {
    const baseOnly = await play('abcdef', { seed: 3, chunkSize: 1, baseDelayMs: 40, jitterProbability: 0, burstProbability: 0, stallProbability: 0 });
    expect(baseOnly.map((e) => e.timestampMs)).toEqual([40, 80, 120, 160, 200, 240, 240]);

    const jittered = dataOf(
      await play('x'.repeat(200), { seed: 4, baseDelayMs: 50, jitterMs: 20, jitterProbability: 1, burstProbability: 0, stallProbability: 0 }),
    );
    const gaps = jittered.map((e, i) => e.timestampMs - (i === 0 ? 0 : (jittered[i - 1] as { timestampMs: number }).timestampMs));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(30);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(70);
    expect(new Set(gaps.map((g) => Math.round(g))).size).toBeGreaterThan(10);

    const bursts = dataOf(await play('abcdefghi', { seed: 5, burstProbability: 1, burstSize: 3, burstDelayMs: 2, stallProbability: 0 }));
    expect(bursts.every((e) => e.burst)).toBe(true);
    expect(bursts.map((e) => e.timestampMs)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16]);

    const stalled = await play('abc', { seed: 6, stallProbability: 1, stallMs: 700, baseDelayMs: 10, jitterProbability: 0, burstProbability: 0 });
    expect(stalled.map((e) => `${e.type}@${e.timestampMs}`)).toEqual([
      'stall@700',
      'data@710',
      'stall@1410',
      'data@1420',
      'stall@2120',
      'data@2130',
      'complete@2130',
    ]);
    expect(stalled[0]).toEqual({ type: 'stall', durationMs: 700, timestampMs: 700 });
  });

  it('variable chunk sizes: within the range, following the weights', async () => {
    const data = dataOf(await play('y'.repeat(4_000), { seed: 7, chunkSizeRange: [2, 4], chunkSizeWeights: [1, 0, 3], baseDelayMs: 0, jitterProbability: 0 }));
    const sizes = data.slice(0, -1).map((e) => e.requestedChunkSize);
    expect(new Set(sizes)).toEqual(new Set([2, 4]));
    const fours = sizes.filter((s) => s === 4).length / sizes.length;
    expect(fours).toBeGreaterThan(0.65);
    expect(fours).toBeLessThan(0.85);
    const defaults = dataOf(await play('z'.repeat(500), { seed: 8, chunkSize: 6, variableChunkSize: true, baseDelayMs: 0 }));
    const range = defaults.slice(0, -1).map((e) => e.requestedChunkSize);
    expect(Math.min(...range)).toBe(3);
    expect(Math.max(...range)).toBe(12);
  });

  it('never splits a surrogate pair', async () => {
    const text = '😀😃😄😁😆😅🤣😂🙂🙃'.repeat(5);
    const data = dataOf(await play(text, { seed: 9, chunkSize: 1, baseDelayMs: 0 }));
    expect(data.every((e) => e.chunk === '' || [...e.chunk].every((ch) => ch.length === 2))).toBe(true);
    expect(data.map((e) => e.chunk).join('')).toBe(text);
  });

  it('an empty text gives just the complete event', async () => {
    expect(await play('', { seed: 1 })).toEqual([{ type: 'complete', totalChunks: 0, totalLength: 0, timestampMs: 0 }]);
  });

  it('on(): data, stall and complete listeners, with unsubscribe; a throwing listener rejects next()', async () => {
    const clock = new ManualClock();
    const stream = simulateStream('hello', { clock, seed: 10, chunkSize: 2, stallProbability: 0.5 });
    const seen: string[] = [];
    stream.on('data', (event) => seen.push(`data:${event.chunk}`));
    const offStall = stream.on('stall', (event) => seen.push(`stall:${event.durationMs}`));
    stream.on('complete', (event) => seen.push(`complete:${event.totalChunks}`));
    offStall();
    const chunks: string[] = [];
    const done = (async () => {
      for await (const chunk of stream.chunks()) chunks.push(chunk);
    })();
    await clock.runAll();
    await done;
    expect(chunks.join('')).toBe('hello');
    expect(seen).toEqual([...chunks.map((c) => `data:${c}`), `complete:${chunks.length}`]);

    const broken = simulateStream('abc', { clock, seed: 1, baseDelayMs: 0 });
    broken.on('data', () => {
      throw new Error('listener failed');
    });
    await expect(broken.next()).rejects.toThrow('listener failed');
    expect(broken.closed).toBe(true);
    expect(() => broken.on('end' as never, () => {})).toThrow(/type must be 'data', 'stall' or 'complete', got "end"/);
  });

  it('reports progress on the scope every progressEvery chunks, and each stall', async () => {
    const clock = new ManualClock();
    using recorder = new OperationRecorder();
    const scope = recorder.attach(new Cancelable({ clock }));
    const run = scope.run(async (s) => {
      const stream = simulateStream('0123456789'.repeat(3), { scope: s, seed: 11, chunkSize: 3, progressEvery: 5, stallProbability: 0.2 });
      for await (const _event of stream) {
        // consume
      }
    });
    await clock.runAll();
    await run;
    const messages = recorder.eventsOfType('progress').map((event) => event.data.message);
    expect(messages.filter((m) => String(m).startsWith('Stream progress'))).toEqual(['Stream progress: 50.0%', 'Stream progress: 100.0%']);
    const stallReports = messages.filter((m) => String(m).startsWith('Network stall'));
    expect(stallReports.length).toBeGreaterThan(0);
    expect(stallReports.every((m) => m === 'Network stall: 500ms')).toBe(true);
    recorder.assertEventOccurred(scope, 'progress', {
      message: 'Stream progress: 50.0%',
      metadata: { chunksSent: 5, charsSent: 15, totalChars: 30, progressPercent: 50 },
    });
  });

  it('stops at once on cancellation: the pending delay rejects with the scope error', async () => {
    const clock = new ManualClock();
    const scope = Cancelable.withTimeout(1_000, { clock });
    let stream!: ReturnType<typeof simulateStream>;
    const chunks: string[] = [];
    const run = scope
      .run(async (s) => {
        stream = simulateStream('a'.repeat(1_000), { scope: s, seed: 12, stallProbability: 0.3, stallMs: 10_000 });
        for await (const chunk of stream.chunks()) chunks.push(chunk);
      })
      .catch((error: unknown) => error);
    await clock.advance(1_000);
    const error = await run;
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect(error).toBe(scope.cancelError);
    expect(scope.context.durationMs).toBe(1_000);
    expect(chunks.join('').length).toBeLessThan(1_000);
    expect(stream.closed).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('stops on an AbortSignal; return() stops it too', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const stream = simulateStream('abcdef', { clock, signal: controller.signal, seed: 13, baseDelayMs: 100, stallProbability: 0 });
    const first = stream.next();
    await clock.advance(0);
    controller.abort(new ManualCancelation('stop'));
    await expect(first).rejects.toBeInstanceOf(ManualCancelation);
    const other = simulateStream('abcdef', { clock, seed: 13, baseDelayMs: 100 });
    const pending = other.next();
    await clock.advance(0);
    await other.return();
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    expect(other.returnCalls).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('invalid configs get clear errors', () => {
    const bad = (config: unknown): (() => unknown) => () => simulateStream('x', config as SimulateStreamConfig);
    expect(() => simulateStream(5 as never)).toThrow(/text must be a string, got 5/);
    expect(bad('fast')).toThrow(/config must be an options object, got "fast"/);
    expect(bad({ base_delay: 0.05 })).toThrow(/config\.base_delay is not an option of simulateStream; did you mean baseDelayMs\?/);
    expect(bad({ stall_duration: 1 })).toThrow(/did you mean stallMs\?/);
    expect(bad({ speed: 1 })).toThrow(/config\.speed is not an option of simulateStream \(options: chunkSize, /);
    expect(bad({ chunkSize: 0 })).toThrow(/config\.chunkSize must be an integer >= 1, got 0/);
    expect(bad({ chunkSize: 2.5 })).toThrow(RangeError);
    expect(bad({ baseDelayMs: -1 })).toThrow(/config\.baseDelayMs must be a finite number of milliseconds >= 0, got -1/);
    expect(bad({ jitterMs: Number.POSITIVE_INFINITY })).toThrow(/config\.jitterMs/);
    expect(bad({ jitterProbability: 1.5 })).toThrow(/config\.jitterProbability must be in \[0, 1\], got 1\.5/);
    expect(bad({ burstProbability: '0.1' })).toThrow(/config\.burstProbability must be a number in \[0, 1\], got "0\.1"/);
    expect(bad({ stallProbability: Number.NaN })).toThrow(/config\.stallProbability must be in \[0, 1\], got NaN/);
    expect(bad({ burstSize: 0 })).toThrow(/config\.burstSize must be an integer >= 1, got 0/);
    expect(bad({ stallMs: -5 })).toThrow(/config\.stallMs/);
    expect(bad({ variableChunkSize: 'yes' })).toThrow(/config\.variableChunkSize must be a boolean, got "yes"/);
    expect(bad({ chunkSizeRange: [5] })).toThrow(/config\.chunkSizeRange must be a \[min, max\] pair of integers/);
    expect(bad({ chunkSizeRange: [0, 3] })).toThrow(/config\.chunkSizeRange\[0\] \(min\) must be an integer >= 1, got 0/);
    expect(bad({ chunkSizeRange: [4, 2] })).toThrow(/config\.chunkSizeRange must have min <= max, got \[4, 2\]/);
    expect(bad({ chunkSizeWeights: [1] })).toThrow(/chunkSizeWeights needs config\.chunkSizeRange/);
    expect(bad({ chunkSizeRange: [1, 3], chunkSizeWeights: [1, 1] })).toThrow(
      /one weight per size of chunkSizeRange \[1, 3\] \(3\), got an array of length 2/,
    );
    expect(bad({ chunkSizeRange: [1, 2], chunkSizeWeights: [1, -1] })).toThrow(/config\.chunkSizeWeights\[1\] must be a finite number >= 0, got -1/);
    expect(bad({ chunkSizeRange: [1, 2], chunkSizeWeights: [0, 0] })).toThrow(/must not all be 0/);
    expect(bad({ seed: 1.5 })).toThrow(/config\.seed must be a safe integer \(or a string\), got 1\.5/);
    expect(bad({ seed: {} })).toThrow(/config\.seed must be an integer or a string/);
    expect(bad({ scope: {} })).toThrow(/config\.scope must be a Cancelable/);
    expect(bad({ signal: 'abort' })).toThrow(/config\.signal must be an AbortSignal/);
    expect(bad({ clock: Date })).toThrow(/config\.clock must be a Clock/);
    expect(bad({ progressEvery: -1 })).toThrow(/config\.progressEvery must be an integer >= 0, got -1/);
  });
});

describe('SeededRandom', () => {
  it('is reproducible, uniform-ish, and accepts string seeds', () => {
    const a = new SeededRandom(123);
    const b = new SeededRandom(123);
    const drawsA = Array.from({ length: 1_000 }, () => a.next());
    expect(Array.from({ length: 1_000 }, () => b.next())).toEqual(drawsA);
    expect(drawsA.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = drawsA.reduce((sum, x) => sum + x, 0) / drawsA.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(new SeededRandom('abc').next()).toBe(new SeededRandom('abc').next());
    expect(new SeededRandom('abc').seed).not.toBe(new SeededRandom('abd').seed);
    const dice = new SeededRandom(5);
    const rolls = new Set(Array.from({ length: 200 }, () => dice.int(1, 6)));
    expect([...rolls].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new SeededRandom(1).weightedIndex([0, 0, 1])).toBe(2);
  });
});
