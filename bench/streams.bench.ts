/**
 * Per-item cost of cancelable streams (SPEC §9: <= 1.15x a raw `for await` over the same generator).
 *
 *   node --expose-gc --import tsx bench/streams.bench.ts [--items 1000] [--rounds 15] [--quick]
 *
 * Every case iterates the same async generator function to its end; a sample is one whole iteration
 * of `--items` items, reported per item. The cases are measured in many short interleaved rounds (the
 * machine is shared: a load spike hits every case alike) and each case keeps its best round's median. Everything runs inside one running `Cancelable`
 * (AsyncLocalStorage active, as in any program using the library), so the raw loop pays the same
 * promise-hook costs as the wrappers.
 */
import { abortableSource } from 'abortable-iterator';
import { do_not_optimize, measure } from 'mitata';
import { Cancelable, cancelableStream, chunkedCancelableStream } from '../src/index.js';

const args = process.argv.slice(2);
function option(name: string, fallback: number): number {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(args[index + 1]);
}
const quick = args.includes('--quick');
const ITEMS = option('items', 1000);
const ROUNDS = option('rounds', quick ? 3 : 15);

/** The source: a bare async generator (the worst case for a wrapper: no work per item). */
async function* numbers(n: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) yield i;
}

/** A source that awaits once per item, like one reading from an already-filled buffer. */
async function* awaitingNumbers(n: number): AsyncGenerator<number> {
  // eslint-disable-next-line @typescript-eslint/await-thenable -- one await of a plain value: one microtask
  for (let i = 0; i < n; i++) yield await i;
}

/** The anchor the issue quotes: an async generator wrapping the source. */
async function* wrapperGenerator<T>(source: AsyncIterable<T>, scope: Cancelable): AsyncGenerator<T> {
  for await (const item of source) {
    scope.throwIfCancelled();
    yield item;
  }
}

/**
 * The design alternative to one cancellation listener per stream: a listener added for each pending
 * next() and removed when it settles (addCancelListener allocates an unsubscribe closure per call).
 * A minimal iterator, only to measure that choice; the library registers once per stream.
 */
class ListenerPerPull<T> implements AsyncIterableIterator<T> {
  readonly #it: AsyncIterator<T>;
  readonly #scope: Cancelable;
  #off: () => void = () => {};
  #resolve: (result: IteratorResult<T>) => void = () => {};
  #reject: (error: unknown) => void = () => {};
  readonly #capture = (resolve: (result: IteratorResult<T>) => void, reject: (error: unknown) => void): void => {
    this.#resolve = resolve;
    this.#reject = reject;
  };
  readonly #onResult = (result: IteratorResult<T>): void => {
    this.#off();
    this.#resolve(result);
  };
  readonly #onError = (error: unknown): void => {
    this.#off();
    this.#reject(error);
  };
  readonly #onCancel = (error: unknown): void => this.#reject(error);

  constructor(source: AsyncIterable<T>, scope: Cancelable) {
    this.#it = source[Symbol.asyncIterator]();
    this.#scope = scope;
  }

  next(): Promise<IteratorResult<T>> {
    const cancelError = this.#scope.cancelError;
    if (cancelError !== undefined) return Promise.reject(cancelError);
    const result = this.#it.next();
    this.#off = this.#scope.addCancelListener(this.#onCancel);
    const promise = new Promise<IteratorResult<T>>(this.#capture);
    result.then(this.#onResult, this.#onError);
    return promise;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

async function drain(iterable: AsyncIterable<number>): Promise<void> {
  let sum = 0;
  for await (const item of iterable) sum += item;
  do_not_optimize(sum);
}

async function drainChunks(iterable: AsyncIterable<number[]>): Promise<void> {
  let sum = 0;
  for await (const chunk of iterable) sum += chunk.length;
  do_not_optimize(sum);
}

type Source = (n: number) => AsyncGenerator<number>;
interface Case {
  readonly name: string;
  readonly run: (scope: Cancelable, source: Source) => Promise<void>;
}

const cases: Case[] = [
  { name: 'raw for await', run: (_scope, source) => drain(source(ITEMS)) },
  { name: 'cancelableStream', run: (scope, source) => drain(cancelableStream(source(ITEMS), scope)) },
  { name: 'scope.stream', run: (scope, source) => drain(scope.stream(source(ITEMS))) },
  {
    name: 'scope.stream, other context',
    // The consumer runs outside the bound scope: each pull re-enters it (AsyncLocalStorage.run).
    run: (scope, source) => drain(new Cancelable({ parent: scope }).stream(source(ITEMS))),
  },
  {
    name: 'scope.stream, bufferSize 16',
    run: (scope, source) => drain(scope.stream(source(ITEMS), { bufferSize: 16 })),
  },
  {
    name: 'chunked (chunkSize 100), per item',
    run: (scope, source) => drainChunks(chunkedCancelableStream(source(ITEMS), scope, { chunkSize: 100 })),
  },
  {
    name: 'chunked + maxWaitMs, per item',
    run: (scope, source) =>
      drainChunks(chunkedCancelableStream(source(ITEMS), scope, { chunkSize: 100, maxWaitMs: 1_000 })),
  },
  {
    name: '(alt) a listener per pending next()',
    run: (scope, source) => drain(new ListenerPerPull(source(ITEMS), scope)),
  },
  { name: 'async generator wrapper', run: (scope, source) => drain(wrapperGenerator(source(ITEMS), scope)) },
  {
    name: 'abortable-iterator',
    run: (scope, source) => drain(abortableSource(source(ITEMS), scope.signal)),
  },
];

async function measureCase(scope: Cancelable, item: Case, source: Source): Promise<number> {
  const stats = await measure(() => item.run(scope, source), {
    min_cpu_time: 40 * 1e6, // short samples, many interleaved rounds: robust on a shared machine
    max_samples: 10_000,
  });
  return stats.p50 / ITEMS; // ns per item
}

async function table(scope: Cancelable, title: string, source: Source): Promise<Map<string, number>> {
  const best = new Map<string, number>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const item of cases) {
      const perItem = await measureCase(scope, item, source);
      best.set(item.name, Math.min(best.get(item.name) ?? Infinity, perItem));
    }
  }
  const raw = best.get('raw for await') as number;
  console.log(`\n${title} (${ITEMS} items per sample, best of ${ROUNDS} rounds)`);
  console.log(`${'case'.padEnd(36)} ${'ns/item'.padStart(9)} ${'ratio'.padStart(7)}`);
  for (const [name, perItem] of best) {
    console.log(`${name.padEnd(36)} ${perItem.toFixed(1).padStart(9)} ${`${(perItem / raw).toFixed(2)}x`.padStart(7)}`);
  }
  return best;
}

console.log(`cancelable streams: per-item cost — Node ${process.version}, ${process.arch}`);
await new Cancelable({ name: 'bench', graceMs: Infinity }).run(async (scope) => {
  const bare = await table(scope, 'bare async generator (yield i)', numbers);
  await table(scope, 'async generator awaiting once per item (yield await i)', awaitingNumbers);
  const ratio = (bare.get('cancelableStream') as number) / (bare.get('raw for await') as number);
  console.log(`\ncancelableStream / raw for await (bare generator): ${ratio.toFixed(2)}x (SPEC §9 target: <= 1.15x)`);
});
