// Per-item cost of cancelable streams against a raw `for await` over the same async generator, an
// async-generator wrapper and abortable-iterator, paired in one process inside a running scope, against
// the built package. SPEC §9: per item <= 1.7x a raw for await; chunkedCancelableStream <= 1.15x.
import { abortableSource } from "abortable-iterator";
import { do_not_optimize } from "mitata";
import { median } from "../lib.mjs";
import { pairedRun } from "../pairs.mjs";
import { Cancelable, cancelableStream, chunkedCancelableStream } from "cancelable-ts";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
const args = process.argv.slice(2);
function option(name, fallback) {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(args[index + 1]);
}
const quick = args.includes("--quick");
const ITEMS = option("items", 1e3);
const ROUNDS = option("rounds", quick ? 2 : 15);
async function* numbers(n) {
  for (let i = 0; i < n; i++) yield i;
}
async function* awaitingNumbers(n) {
  for (let i = 0; i < n; i++) yield await i;
}
async function* wrapperGenerator(source, scope) {
  for await (const item of source) {
    scope.throwIfCancelled();
    yield item;
  }
}
class ListenerPerPull {
  #it;
  #scope;
  #off = () => {
  };
  #resolve = () => {
  };
  #reject = () => {
  };
  #capture = (resolve, reject) => {
    this.#resolve = resolve;
    this.#reject = reject;
  };
  #onResult = (result) => {
    this.#off();
    this.#resolve(result);
  };
  #onError = (error) => {
    this.#off();
    this.#reject(error);
  };
  #onAbort = () => this.#reject(this.#scope.cancelError);
  constructor(source, scope) {
    this.#it = source[Symbol.asyncIterator]();
    this.#scope = scope;
  }
  next() {
    const cancelError = this.#scope.cancelError;
    if (cancelError !== void 0) return Promise.reject(cancelError);
    const result = this.#it.next();
    const signal = this.#scope.signal;
    signal.addEventListener("abort", this.#onAbort);
    this.#off = () => signal.removeEventListener("abort", this.#onAbort);
    const promise = new Promise(this.#capture);
    result.then(this.#onResult, this.#onError);
    return promise;
  }
  [Symbol.asyncIterator]() {
    return this;
  }
}
// The floor of a chunking iterator, for the chunked target: a pump that awaits the source per item
// and hands the consumer one promise per chunk, with nothing else (no cancellation, no scope, no
// progress, no validation). What any chunking design pays on this Node.
class BarePump {
  #it;
  #chunk = [];
  #size;
  #finished = false;
  #resolve = () => {};
  #reject = () => {};
  #capture = (resolve, reject) => {
    this.#resolve = resolve;
    this.#reject = reject;
  };
  constructor(source, size) {
    this.#it = source[Symbol.asyncIterator]();
    this.#size = size;
  }
  next() {
    if (this.#finished) return Promise.resolve({ value: void 0, done: true });
    const promise = new Promise(this.#capture);
    void this.#drive();
    return promise;
  }
  async #drive() {
    try {
      for (;;) {
        const result = await this.#it.next();
        if (result.done) {
          this.#finished = true;
          const rest = this.#chunk;
          this.#chunk = [];
          this.#resolve(rest.length > 0 ? { value: rest, done: false } : { value: void 0, done: true });
          return;
        }
        this.#chunk.push(result.value);
        if (this.#chunk.length >= this.#size) {
          const chunk = this.#chunk;
          this.#chunk = [];
          this.#resolve({ value: chunk, done: false });
          return;
        }
      }
    } catch (error) {
      this.#reject(error);
    }
  }
  [Symbol.asyncIterator]() {
    return this;
  }
}
async function drain(iterable) {
  let sum = 0;
  for await (const item of iterable) sum += item;
  do_not_optimize(sum);
}
async function drainChunks(iterable) {
  let sum = 0;
  for await (const chunk of iterable) sum += chunk.length;
  do_not_optimize(sum);
}
const cases = [
  { name: "raw for await", run: (_scope, source) => drain(source(ITEMS)) },
  { name: "cancelableStream", run: (scope, source) => drain(cancelableStream(source(ITEMS), scope)) },
  { name: "scope.stream", run: (scope, source) => drain(scope.stream(source(ITEMS))) },
  {
    name: "scope.stream, other context",
    // The consumer runs outside the bound scope: each pull re-enters it (AsyncLocalStorage.run).
    run: (scope, source) => drain(new Cancelable({ parent: scope }).stream(source(ITEMS)))
  },
  {
    name: "scope.stream, bufferSize 16",
    run: (scope, source) => drain(scope.stream(source(ITEMS), { bufferSize: 16 }))
  },
  {
    name: "chunked (chunkSize 100), per item",
    run: (scope, source) => drainChunks(chunkedCancelableStream(source(ITEMS), scope, { chunkSize: 100 }))
  },
  {
    name: "(floor) a bare chunking pump (100), per item",
    run: (_scope, source) => drainChunks(new BarePump(source(ITEMS), 100))
  },
  {
    name: "chunked + maxWaitMs, per item",
    run: (scope, source) => drainChunks(chunkedCancelableStream(source(ITEMS), scope, { chunkSize: 100, maxWaitMs: 1e3 }))
  },
  {
    name: "(alt) a listener per pending next()",
    run: (scope, source) => drain(new ListenerPerPull(source(ITEMS), scope))
  },
  { name: "async generator wrapper", run: (scope, source) => drain(wrapperGenerator(source(ITEMS), scope)) },
  {
    name: "abortable-iterator",
    run: (scope, source) => drain(abortableSource(source(ITEMS), scope.signal))
  }
];
// Paired like the lifecycle figure (bench/pairs.mjs): one compiled loop per case, interleaved, GC before
// each batch; each ratio is taken within one repetition against the raw for await of that repetition.
async function table(scope, title, source) {
  const variants = {};
  for (const item of cases) variants[item.name] = { fn: () => item.run(scope, source) };
  const result = await pairedRun(variants, { n: quick ? 5 : 40, reps: ROUNDS, warmup: quick ? 1 : 3 });
  console.log(`
${title} (${ITEMS} items per drain, median of ${ROUNDS} paired repetitions)`);
  console.log(`${"case".padEnd(36)} ${"ns/item".padStart(9)} ${"ratio".padStart(7)}`);
  const table = new Map();
  for (const item of cases) {
    const perItem = result.nsPerOp(item.name) / ITEMS;
    const ratio = item.name === "raw for await" ? 1 : result.ratio(item.name, "raw for await");
    table.set(item.name, { perItem, ratio });
    console.log(`${item.name.padEnd(36)} ${perItem.toFixed(1).padStart(9)} ${`${ratio.toFixed(2)}x`.padStart(7)}`);
  }
  return table;
}
const PROCESSES = option("processes", quick ? 1 : 3);
if (!args.includes("--child")) {
  // The parent: the figure is the median over PROCESSES processes, each the median of ROUNDS paired
  // repetitions. Within one process the repetitions agree; from process to process the ratios move
  // (the JIT's choices and the heap's layout differ): 1.54x to 1.76x for cancelableStream on one day.
  const self = fileURLToPath(import.meta.url);
  const figures = [];
  for (let i = 0; i < PROCESSES; i++) {
    const out = execFileSync(process.execPath, ["--expose-gc", self, "--child", ...args], { encoding: "utf8", maxBuffer: 16 << 20 });
    for (const line of out.split("\n")) {
      if (line.startsWith("@@BENCH ")) figures.push(JSON.parse(line.slice("@@BENCH ".length)));
      else console.log(line);
    }
  }
  const [first] = figures;
  const rows = first.rows.map((row, i) => {
    const values = figures.map((figure) => figure.rows[i].median);
    // A per-item row carries its process's ratio to the raw loop: the row gives the median of those.
    const note = row.ratio === undefined ? row.note : `${median(figures.map((figure) => figure.rows[i].ratio)).toFixed(2)}x raw`;
    return { ...row, median: median(values), min: Math.min(...values), max: Math.max(...values), note };
  });
  const targets = first.targets.map((target, i) => {
    const values = figures.map((figure) => figure.targets[i].value);
    const value = median(values);
    const note = PROCESSES > 1 ? `median of ${values.length} processes: ${values.map((v) => v.toFixed(2)).join(", ")}` : undefined;
    return { ...target, value, ok: value <= target.limit, note };
  });
  console.log(`@@BENCH ${JSON.stringify({ figure: first.figure, rows, targets })}`);
  process.exit(0);
}
console.log(`cancelable streams: per-item cost \u2014 Node ${process.version}, ${process.arch}`);
await new Cancelable({ name: "bench", graceMs: Infinity }).run(async (scope) => {
  const bare = await table(scope, "bare async generator (yield i)", numbers);
  const awaiting = await table(scope, "async generator awaiting once per item (yield await i)", awaitingNumbers);
  const perItem = bare.get("cancelableStream").ratio;
  const chunked = bare.get("chunked (chunkSize 100), per item").ratio;
  const chunkFloor = bare.get("(floor) a bare chunking pump (100), per item").ratio;
  const rows = [{ name: "bare generator: chunkedCancelableStream(100) / the bare chunking pump (same repetitions)", unit: "x", median: chunked / chunkFloor }];
  for (const [label, best] of [["bare generator", bare], ["generator awaiting per item", awaiting]]) {
    for (const [name, { perItem: ns, ratio }] of best) rows.push({ name: `${label}: ${name}`, unit: "ns/item", median: ns, ratio, note: `${ratio.toFixed(2)}x raw` });
  }
  console.log(`@@BENCH ${JSON.stringify({
    figure: "Streams: per-item cost (same process, paired)",
    rows,
    targets: [
      { target: "cancelableStream per item <= 1.7x a raw for await (bare generator)", value: perItem, unit: "x", limit: 1.7, ok: perItem <= 1.7 },
      { target: "chunkedCancelableStream(100) per item <= 1.15x a raw for await (bare generator)", value: chunked, unit: "x", limit: 1.15, ok: chunked <= 1.15 }
    ]
  })}`);
});
