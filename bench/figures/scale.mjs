// Scale: 100,000 concurrent timeout scopes — memory, time to start them, time to settle them.
import { Cancelable } from 'cancelable-ts';
import { heapAfterGC, now, quick, report } from '../lib.mjs';

const n = quick ? 10_000 : 100_000;
let open;
const gate = new Promise((resolve) => (open = resolve));
const before = await heapAfterGC();
const start = now();
const runs = [];
for (let i = 0; i < n; i++) runs.push(Cancelable.withTimeout(60_000).run(() => gate));
const startMs = (now() - start) / 1e6;
const heap = (await heapAfterGC()) - before;
const settleStart = now();
open();
await Promise.all(runs);
const settleMs = (now() - settleStart) / 1e6;

// The same number of scopes all timing out at once.
const timeoutStart = now();
const timedOut = [];
for (let i = 0; i < n; i++) timedOut.push(Cancelable.withTimeout(50).run((scope) => scope.sleep(60_000)));
const results = await Promise.allSettled(timedOut);
const timeoutMs = (now() - timeoutStart) / 1e6;
const allTimedOut = results.every((r) => r.status === 'rejected' && r.reason.reason === 'timeout');

report({
  figure: `Scale: ${n.toLocaleString('en')} concurrent timeout scopes`,
  rows: [
    { name: 'start them all', unit: 'ms', median: startMs },
    { name: 'heap while running (per scope, incl. body and timer)', unit: 'B', median: heap / n },
    { name: 'settle them all (bodies resolve)', unit: 'ms', median: settleMs },
    { name: `all time out after 50 ms: start to last rejection${allTimedOut ? '' : ' (SOME DID NOT TIME OUT)'}`, unit: 'ms', median: timeoutMs },
  ],
  targets: [],
});
