import { getDefaultClock, isClock, type Clock } from '../core/clock.js';
import { Cancelable } from '../cancelable.js';
import { checkDuration, checkFunction, checkInteger, describeValue } from '../core/validate.js';
import { normalizeSeed, randomSeed, SeededRandom, type Seed } from './random.js';
import { TimedIterator, type TimedStep } from './timed-iterator.js';

/** Configuration of {@link simulateStream}. Durations are milliseconds; probabilities are in [0, 1]. */
export interface SimulateStreamConfig {
  /** Characters per chunk (the centre of the default range when `variableChunkSize`). Default `1`. */
  chunkSize?: number;
  /** Delay before each ordinary chunk. Default `50`. */
  baseDelayMs?: number;
  /** Largest jitter added to or removed from `baseDelayMs` (uniform in ±jitterMs, rounded to whole ms). Default `20`. */
  jitterMs?: number;
  /** Probability that a chunk's delay gets jitter. Default `0.3`. */
  jitterProbability?: number;
  /** Probability that a burst of `burstSize` chunks comes instead of one chunk. Default `0.1`. */
  burstProbability?: number;
  /** Chunks in a burst. Default `3`. */
  burstSize?: number;
  /** Delay between the chunks of a burst. Default `1`. */
  burstDelayMs?: number;
  /** Probability of a network stall before a chunk (or burst). Default `0.05`. */
  stallProbability?: number;
  /** Length of a stall. Default `500`. */
  stallMs?: number;
  /**
   * Draw each chunk's size from `chunkSizeRange` (default `[max(1, chunkSize / 2), chunkSize * 2]`).
   * Implied when `chunkSizeRange` is given. Default `false`.
   */
  variableChunkSize?: boolean;
  /** Inclusive `[min, max]` of chunk sizes, `1 <= min <= max`. */
  chunkSizeRange?: readonly [number, number];
  /**
   * Relative weights of the sizes `min, min + 1, ..., max` (one per size, non-negative, not all 0).
   * Default: uniform.
   */
  chunkSizeWeights?: readonly number[];
  /** Seed of the random draws: the same seed and config give the same chunks, delays and stalls. */
  seed?: Seed;
  /** Progress is reported on this scope, and a pending delay rejects at once when it is cancelled. */
  scope?: Cancelable;
  /** A pending delay rejects at once with `signal.reason` when it aborts. */
  signal?: AbortSignal;
  /** The clock the delays run on. Default: `scope.clock`, else the default clock. */
  clock?: Clock;
  /** Report progress on `scope` every this many chunks; `0` never. Default `10`. */
  progressEvery?: number;
}

/** A chunk of text. */
export interface StreamDataEvent {
  readonly type: 'data';
  readonly chunk: string;
  /** `chunk.length` (shorter than requested at the end of the text). */
  readonly chunkSize: number;
  readonly requestedChunkSize: number;
  /** Characters sent so far, this chunk included. */
  readonly position: number;
  readonly totalLength: number;
  /** Whether the chunk came in a burst. */
  readonly burst: boolean;
  /** 1, 2, 3... */
  readonly chunkNumber: number;
  /** When it was emitted, ms after the stream was created, on its clock. */
  readonly timestampMs: number;
}

/** A network stall (the delay came before this event). */
export interface StreamStallEvent {
  readonly type: 'stall';
  readonly durationMs: number;
  readonly timestampMs: number;
}

/** The end of the text. */
export interface StreamCompleteEvent {
  readonly type: 'complete';
  readonly totalChunks: number;
  readonly totalLength: number;
  readonly timestampMs: number;
}

/** What a simulated stream yields. */
export type SimulatedStreamEvent = StreamDataEvent | StreamStallEvent | StreamCompleteEvent;

/** The `type` of a {@link SimulatedStreamEvent}. */
export type SimulatedStreamEventType = SimulatedStreamEvent['type'];

/**
 * The stream returned by {@link simulateStream}: an async iterator of events, with listeners.
 */
export interface SimulatedStream extends AsyncIterableIterator<SimulatedStreamEvent> {
  /** The seed of this run (given, or drawn at random): pass it back as `config.seed` to replay it. */
  readonly seed: number;
  /** Events handed out so far. */
  readonly yielded: number;
  /** Whether the stream is closed (completed, `return()`ed, or cancelled). */
  readonly closed: boolean;
  /** How many times `return()` was called. */
  readonly returnCalls: number;
  /** Closes the stream; takes effect at once, even while a `next()` is pending (which resolves done). */
  return(value?: unknown): Promise<IteratorResult<SimulatedStreamEvent>>;
  /** Closes the stream and rejects with `error`. */
  throw(error?: unknown): Promise<IteratorResult<SimulatedStreamEvent>>;
  /**
   * Calls `listener(event)` for each event of `type` as the stream emits it (while it is iterated).
   * A listener that throws makes that `next()` reject. Returns a function that removes it.
   */
  on<K extends SimulatedStreamEventType>(
    type: K,
    listener: (event: Extract<SimulatedStreamEvent, { type: K }>) => void,
  ): () => void;
  /** The same stream as plain text chunks (stalls and the end are skipped); consumes this stream. */
  chunks(): AsyncIterableIterator<string>;
}

interface ResolvedConfig {
  chunkSize: number;
  baseDelayMs: number;
  jitterMs: number;
  jitterProbability: number;
  burstProbability: number;
  burstSize: number;
  burstDelayMs: number;
  stallProbability: number;
  stallMs: number;
  range: readonly [number, number] | undefined;
  weights: readonly number[] | undefined;
  seed: number;
  progressEvery: number;
}

const optionNames = [
  'chunkSize',
  'baseDelayMs',
  'jitterMs',
  'jitterProbability',
  'burstProbability',
  'burstSize',
  'burstDelayMs',
  'stallProbability',
  'stallMs',
  'variableChunkSize',
  'chunkSizeRange',
  'chunkSizeWeights',
  'seed',
  'scope',
  'signal',
  'clock',
  'progressEvery',
] as const;

/**
 * Simulates an LLM-like token stream of `text`: chunks after a base delay with random jitter, sometimes
 * a burst of chunks at once, sometimes a network stall; chunk sizes fixed or drawn from a weighted
 * range. It yields `data`, `stall` and `complete` events (and calls `on()` listeners), reports progress
 * on `config.scope`, and stops at once when that scope is cancelled (or `config.signal` aborts): a
 * pending delay rejects with the cancellation error. All randomness comes from `config.seed`, and all
 * waiting from the clock, so with a `ManualClock` and a seed a run is instant and exactly reproducible.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * const stream = simulateStream('Hello, streaming world!', { seed: 42, chunkSize: 4, clock });
 * const text: string[] = [];
 * const done = (async () => { for await (const chunk of stream.chunks()) text.push(chunk); })();
 * await clock.runAll();
 * await done; // text.join('') === 'Hello, streaming world!'
 * ```
 */
export function simulateStream(text: string, config?: SimulateStreamConfig): SimulatedStream {
  if (typeof text !== 'string') throw new TypeError(`text must be a string, got ${describeValue(text)}`);
  const resolved = resolveConfig(config);
  const scope = config?.scope;
  const clock = config?.clock ?? scope?.clock ?? getDefaultClock();
  return new Simulation(text, resolved, clock, scope, config?.signal);
}

class Simulation implements SimulatedStream {
  readonly seed: number;
  readonly #iterator: TimedIterator<MutableEvent>;
  readonly #listeners = new Map<SimulatedStreamEventType, Set<(event: never) => void>>();
  readonly #clock: Clock;
  readonly #scope: Cancelable | undefined;
  readonly #config: ResolvedConfig;
  readonly #start: number;

  constructor(text: string, config: ResolvedConfig, clock: Clock, scope: Cancelable | undefined, signal: AbortSignal | undefined) {
    this.seed = config.seed;
    this.#clock = clock;
    this.#scope = scope;
    this.#config = config;
    this.#start = clock.now();
    this.#iterator = new TimedIterator(plan(text, config), {
      clock,
      scope,
      signal,
      onEmit: (event) => this.#emit(event),
    });
  }

  get yielded(): number {
    return this.#iterator.yielded;
  }

  get closed(): boolean {
    return this.#iterator.closed;
  }

  get returnCalls(): number {
    return this.#iterator.returnCalls;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<SimulatedStreamEvent>> {
    return this.#iterator.next();
  }

  return(value?: unknown): Promise<IteratorResult<SimulatedStreamEvent>> {
    return this.#iterator.return(value);
  }

  throw(error?: unknown): Promise<IteratorResult<SimulatedStreamEvent>> {
    return this.#iterator.throw(error);
  }

  on<K extends SimulatedStreamEventType>(
    type: K,
    listener: (event: Extract<SimulatedStreamEvent, { type: K }>) => void,
  ): () => void {
    if (type !== 'data' && type !== 'stall' && type !== 'complete') {
      throw new TypeError(`type must be 'data', 'stall' or 'complete', got ${describeValue(type)}`);
    }
    checkFunction('listener', listener);
    let set = this.#listeners.get(type);
    if (set === undefined) this.#listeners.set(type, (set = new Set()));
    const entry: (event: never) => void = listener;
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  chunks(): AsyncIterableIterator<string> {
    const source = this.#iterator;
    const chunks: AsyncIterableIterator<string> = {
      [Symbol.asyncIterator]: () => chunks,
      next: async (): Promise<IteratorResult<string>> => {
        for (;;) {
          const result = await source.next();
          if (result.done === true) return { done: true, value: undefined };
          if (result.value.type === 'data') return { done: false, value: result.value.chunk };
        }
      },
      return: async (value?: unknown): Promise<IteratorResult<string>> => {
        await source.return(value);
        return { done: true, value: undefined };
      },
      throw: (error?: unknown): Promise<IteratorResult<string>> => source.throw(error) as Promise<IteratorResult<string>>,
    };
    return chunks;
  }

  #emit(event: MutableEvent): void {
    event.timestampMs = this.#clock.now() - this.#start;
    const scope = this.#scope;
    if (scope !== undefined && scope.isRunning) {
      if (event.type === 'stall') {
        scope.reportProgress(`Network stall: ${event.durationMs}ms`, { type: 'stall', durationMs: event.durationMs });
      } else if (event.type === 'data') {
        const every = this.#config.progressEvery;
        if (every > 0 && event.chunkNumber % every === 0) {
          const percent = (event.position / event.totalLength) * 100;
          scope.reportProgress(`Stream progress: ${percent.toFixed(1)}%`, {
            chunksSent: event.chunkNumber,
            charsSent: event.position,
            totalChars: event.totalLength,
            progressPercent: percent,
          });
        }
      }
    }
    const listeners = this.#listeners.get(event.type);
    if (listeners !== undefined) for (const listener of [...listeners]) (listener as (event: MutableEvent) => void)(event);
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type MutableEvent = Mutable<StreamDataEvent> | Mutable<StreamStallEvent> | Mutable<StreamCompleteEvent>;

/** The whole run as (delay, event) steps, drawn lazily from the seeded generator. */
function* plan(text: string, config: ResolvedConfig): Generator<TimedStep<MutableEvent>> {
  const random = new SeededRandom(config.seed);
  const total = text.length;
  let position = 0;
  let chunkNumber = 0;
  let carried = 0; // the pause after a burst chunk, paid before whatever comes next
  const drawSize = (): number => {
    const range = config.range;
    if (range === undefined) return config.chunkSize;
    if (config.weights !== undefined) return range[0] + random.weightedIndex(config.weights);
    return random.int(range[0], range[1]);
  };
  const chunk = (requested: number, burst: boolean): MutableEvent => {
    let end = Math.min(total, position + requested);
    // Never split a surrogate pair: an emoji stays whole, as a real tokenizer would keep it.
    if (end < total && isHighSurrogate(text.charCodeAt(end - 1)) && isLowSurrogate(text.charCodeAt(end))) end++;
    const piece = text.slice(position, end);
    position = end;
    chunkNumber++;
    return {
      type: 'data',
      chunk: piece,
      chunkSize: piece.length,
      requestedChunkSize: requested,
      position,
      totalLength: total,
      burst,
      chunkNumber,
      timestampMs: 0,
    };
  };
  while (position < total) {
    if (random.chance(config.stallProbability)) {
      yield { delayMs: carried + config.stallMs, value: { type: 'stall', durationMs: config.stallMs, timestampMs: 0 } };
      carried = 0;
    }
    if (random.chance(config.burstProbability)) {
      for (let k = 0; k < config.burstSize && position < total; k++) {
        yield { delayMs: carried, value: chunk(drawSize(), true) };
        carried = config.burstDelayMs;
      }
    } else {
      const requested = drawSize();
      let delay = config.baseDelayMs;
      if (random.chance(config.jitterProbability)) delay += random.uniform(-config.jitterMs, config.jitterMs);
      // Whole milliseconds, as timers have: readable timestamps, identical on every clock.
      yield { delayMs: carried + Math.max(0, Math.round(delay)), value: chunk(requested, false) };
      carried = 0;
    }
  }
  yield { delayMs: carried, value: { type: 'complete', totalChunks: chunkNumber, totalLength: total, timestampMs: 0 } };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function resolveConfig(config: SimulateStreamConfig | undefined): ResolvedConfig {
  if (config !== undefined && (config === null || typeof config !== 'object' || Array.isArray(config))) {
    throw new TypeError(`config must be an options object, got ${describeValue(config)}`);
  }
  const c: SimulateStreamConfig = config ?? {};
  for (const key of Object.keys(c)) {
    if (!(optionNames as readonly string[]).includes(key)) {
      const suggestion = suggest(key);
      throw new TypeError(
        `config.${key} is not an option of simulateStream${suggestion === undefined ? '' : `; did you mean ${suggestion}?`}` +
          ` (options: ${optionNames.join(', ')})`,
      );
    }
  }
  const chunkSize = c.chunkSize === undefined ? 1 : checkInteger('config.chunkSize', c.chunkSize, 1);
  const variable = c.variableChunkSize ?? false;
  if (typeof variable !== 'boolean') {
    throw new TypeError(`config.variableChunkSize must be a boolean, got ${describeValue(variable)}`);
  }
  let range: readonly [number, number] | undefined;
  if (c.chunkSizeRange !== undefined) {
    const given: unknown = c.chunkSizeRange;
    if (!Array.isArray(given) || given.length !== 2) {
      throw new TypeError(`config.chunkSizeRange must be a [min, max] pair of integers, got ${describeValue(given)}`);
    }
    const min = checkInteger('config.chunkSizeRange[0] (min)', given[0], 1);
    const max = checkInteger('config.chunkSizeRange[1] (max)', given[1], 1);
    if (min > max) {
      throw new RangeError(`config.chunkSizeRange must have min <= max, got [${min}, ${max}]`);
    }
    range = [min, max];
  } else if (variable) {
    range = [Math.max(1, Math.floor(chunkSize / 2)), chunkSize * 2];
  }
  let weights: readonly number[] | undefined;
  if (c.chunkSizeWeights !== undefined) {
    const given: unknown = c.chunkSizeWeights;
    if (range === undefined) {
      throw new TypeError('config.chunkSizeWeights needs config.chunkSizeRange (or variableChunkSize: true)');
    }
    const sizes = range[1] - range[0] + 1;
    if (!Array.isArray(given) || given.length !== sizes) {
      throw new RangeError(
        `config.chunkSizeWeights must have one weight per size of chunkSizeRange [${range[0]}, ${range[1]}] (${sizes}), got ${describeValue(given)}`,
      );
    }
    let sum = 0;
    Array.from(given as unknown[]).forEach((weight: unknown, index) => { // a hole is checked as undefined
      if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
        throw new RangeError(`config.chunkSizeWeights[${index}] must be a finite number >= 0, got ${describeValue(weight)}`);
      }
      sum += weight;
    });
    if (sum <= 0) throw new RangeError('config.chunkSizeWeights must not all be 0');
    weights = given as number[];
  }
  const scope = c.scope;
  if (scope !== undefined && !(scope instanceof Cancelable)) {
    throw new TypeError(`config.scope must be a Cancelable, got ${describeValue(scope)}`);
  }
  const signal = c.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`config.signal must be an AbortSignal, got ${describeValue(signal)}`);
  }
  const clock = c.clock;
  if (clock !== undefined && !isClock(clock)) {
    throw new TypeError(`config.clock must be a Clock, got ${describeValue(clock)}`);
  }
  return {
    chunkSize,
    baseDelayMs: c.baseDelayMs === undefined ? 50 : checkDuration('config.baseDelayMs', c.baseDelayMs),
    jitterMs: c.jitterMs === undefined ? 20 : checkDuration('config.jitterMs', c.jitterMs),
    jitterProbability: probability('jitterProbability', c.jitterProbability, 0.3),
    burstProbability: probability('burstProbability', c.burstProbability, 0.1),
    burstSize: c.burstSize === undefined ? 3 : checkInteger('config.burstSize', c.burstSize, 1),
    burstDelayMs: c.burstDelayMs === undefined ? 1 : checkDuration('config.burstDelayMs', c.burstDelayMs),
    stallProbability: probability('stallProbability', c.stallProbability, 0.05),
    stallMs: c.stallMs === undefined ? 500 : checkDuration('config.stallMs', c.stallMs),
    range,
    weights,
    seed: c.seed === undefined ? randomSeed() : normalizeSeed('config.seed', c.seed),
    progressEvery: c.progressEvery === undefined ? 10 : checkInteger('config.progressEvery', c.progressEvery, 0),
  };
}

function probability(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`config.${name} must be a number in [0, 1], got ${describeValue(value)}`);
  if (!(value >= 0 && value <= 1)) throw new RangeError(`config.${name} must be in [0, 1], got ${describeValue(value)}`);
  return value;
}

/** The option a mistyped (or Python-style, e.g. `base_delay`) key probably meant. */
function suggest(key: string): string | undefined {
  const normal = (name: string): string =>
    name.toLowerCase().replace(/[_-]/g, '').replace(/duration|ms$/g, '');
  const wanted = normal(key);
  return optionNames.find((name) => normal(name) === wanted);
}
