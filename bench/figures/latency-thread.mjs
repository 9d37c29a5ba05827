// Cross-thread cancellation latency with SharedCancelationToken, against the built package: cancelSync()
// in one thread -> the scope's rejection observed in another (worker -> main, main -> worker, and a
// worker spinning on isCancelled). SPEC §9: p99 under 1 ms.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { Cancelable } from "cancelable-ts";
import { SharedCancelationToken } from "cancelable-ts/worker";
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const samplesIndex = args.indexOf("--samples");
const SAMPLES = samplesIndex === -1 ? quick ? 50 : 1e3 : Number(args[samplesIndex + 1]);
const WARMUP = quick ? 10 : 100;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { createRequire } = require('node:module');
const requireHere = createRequire(workerData.root + '/package.json');
const { Cancelable } = requireHere('cancelable-ts');
const { SharedCancelationToken } = requireHere('cancelable-ts/worker');
const stamps = workerData.stamps;
const never = new Promise(() => {});
parentPort.on('message', (message) => {
  if (message.cmd === 'exit') {
    parentPort.close();
    return;
  }
  const token = SharedCancelationToken.from(message.buffer);
  if (message.cmd === 'cancel') {
    // A: cancel ~1 ms from now, while the main thread idles in its event loop.
    setTimeout(() => {
      Atomics.store(stamps, 0, process.hrtime.bigint());
      token.cancelSync('bench');
    }, 1);
  } else if (message.cmd === 'listen') {
    Cancelable.withToken(token).run((scope) => scope.race(never)).catch(() => {
      const ns = process.hrtime.bigint() - Atomics.load(stamps, 0);
      parentPort.postMessage({ ns: Number(ns) });
    });
    parentPort.postMessage({ ready: true });
  } else if (message.cmd === 'spin') {
    parentPort.postMessage({ ready: true });
    while (!token.isCancelled);
    const ns = process.hrtime.bigint() - Atomics.load(stamps, 0);
    parentPort.postMessage({ ns: Number(ns) });
  }
});
`;
const stamps = new BigInt64Array(new SharedArrayBuffer(8));
const worker = new Worker(workerSource, { eval: true, workerData: { root, stamps } });
worker.on("error", (error) => {
  console.error("bench worker failed:", error);
  process.exit(1);
});
const never = new Promise(() => {
});
function nextMessage() {
  return new Promise((resolve) => worker.once("message", resolve));
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function workerToMain() {
  const token = new SharedCancelationToken();
  let end = 0n;
  const run = Cancelable.withToken(token).run((scope) => scope.race(never)).catch(() => {
    end = process.hrtime.bigint();
  });
  worker.postMessage({ cmd: "cancel", buffer: token.buffer });
  await run;
  return Number(end - Atomics.load(stamps, 0));
}
async function mainToWorker(cmd) {
  const token = new SharedCancelationToken();
  const ready = nextMessage();
  worker.postMessage({ cmd, buffer: token.buffer });
  await ready;
  const result = nextMessage();
  await sleep(1);
  Atomics.store(stamps, 0, process.hrtime.bigint());
  token.cancelSync("bench");
  return (await result).ns;
}
function percentile(sorted, p) {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1));
  return sorted[index];
}
async function measure(direction, sample) {
  for (let i = 0; i < WARMUP; i++) await sample();
  globalThis.gc?.();
  const values = new Float64Array(SAMPLES);
  for (let i = 0; i < SAMPLES; i++) values[i] = await sample() / 1e3;
  values.sort();
  return {
    direction,
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    max: values[values.length - 1]
  };
}
const lines = [];
lines.push(await measure("worker -> main", workerToMain));
lines.push(await measure("main -> worker", () => mainToWorker("listen")));
lines.push(await measure("spin (worker loop)", () => mainToWorker("spin")));
worker.postMessage({ cmd: "exit" });
await new Promise((resolve) => worker.once("exit", resolve));
const us = (value) => `${value.toFixed(1).padStart(9)} \xB5s`;
console.log(`cross-thread cancelSync -> rejection observed, ${SAMPLES} samples each (Node ${process.version})`);
console.log(`${"direction".padEnd(20)}${"p50".padStart(12)}${"p90".padStart(12)}${"p99".padStart(12)}${"max".padStart(12)}`);
for (const line of lines) {
  console.log(`${line.direction.padEnd(20)}${us(line.p50)}${us(line.p90)}${us(line.p99)}${us(line.max)}`);
}
const worst = Math.max(...lines.map((line) => line.p99));
console.log(`SPEC \xA79 cross-thread p99 < 1 ms: ${worst < 1e3 ? "met" : "NOT met"} (worst p99 ${worst.toFixed(1)} \xB5s)`);
const event = lines.filter((line) => !line.direction.startsWith("spin"));
const worstEvent = Math.max(...event.map((line) => line.p99));
console.log(`@@BENCH ${JSON.stringify({
  figure: "Cancellation latency, cross-thread (SharedCancelationToken)",
  rows: lines.map((line) => ({ name: `cancelSync -> rejection observed: ${line.direction}`, unit: "\xB5s", median: line.p50, p99: line.p99, max: line.max, note: `${SAMPLES} samples` })),
  targets: [{ target: "cross-thread cancel to rejection observed: p99 < 1 ms", value: worstEvent / 1e3, unit: "ms", limit: 1, ok: worstEvent < 1e3 }]
})}`);
