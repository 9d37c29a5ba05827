import { Cancelable } from 'cancelable-ts';
const n = 100_000;
for (let round = 0; round < 3; round++) {
  const parent = new Cancelable({ name: 'parent' });
  let settled;
  let propagateMs = 0;
  const started = parent.run(async () => {
    const children = [];
    for (let i = 0; i < n; i++) children.push(new Cancelable({ graceMs: Infinity }).run((child) => child.sleep(3_600_000)));
    settled = Promise.allSettled(children);
    await new Promise((r) => setTimeout(r, 10));
  }).catch(() => {});
  await new Promise((r) => setTimeout(r, 5));
  const t0 = performance.now();
  parent.cancel('stop');
  const t1 = performance.now();
  await settled;
  const t2 = performance.now();
  await started;
  console.log('cancel returns', (t1 - t0).toFixed(0), 'all rejected', (t2 - t0).toFixed(0));
}
