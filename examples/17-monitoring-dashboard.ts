/**
 * 17 — A monitoring dashboard in the terminal: the registry's subscribe() feeds a live table of the
 * running operations (redrawn in place on a terminal, printed as frames otherwise).
 * Run: npx tsx examples/17-monitoring-dashboard.ts
 */
import { Cancelable, OperationRegistry, isCancelationError, type OperationContext } from 'cancelable-ts';

const registry = new OperationRegistry({ historyLimit: 50 });
const tty = process.stdout.isTTY === true;
let drawnLines = 0;
let frames = 0;

function render(title: string): void {
  const rows = [...registry.list(), ...registry.history({ limit: 10 })].sort((a, b) => a.name.localeCompare(b.name));
  const lines = [
    `── ${title} ── live ${registry.stats().active}, ended ${registry.stats().ended}`,
    ...rows.map((op: OperationContext) => {
      const progress = op.progress?.message ?? '';
      return `  ${op.name.padEnd(14)} ${op.status.padEnd(10)} ${String(Math.round(op.durationMs ?? 0)).padStart(5)} ms  ${progress}`;
    }),
  ];
  if (tty && drawnLines > 0) process.stdout.write(`\x1b[${drawnLines}A\x1b[0J`);
  process.stdout.write(`${lines.join('\n')}\n`);
  drawnLines = lines.length;
  frames++;
}

// Redraw when something changes, at most every 100 ms.
let dirty = false;
const unsubscribe = registry.subscribe(() => (dirty = true));
const ticker = setInterval(() => {
  if (!dirty) return;
  dirty = false;
  render(`frame ${frames + 1}`);
}, 100);

async function job(name: string, steps: number, stepMs: number, timeout?: number): Promise<void> {
  const scope = timeout === undefined ? new Cancelable({ name, register: registry }) : Cancelable.withTimeout(timeout, { name, register: registry });
  await scope
    .run(async (scope) => {
      for (let i = 1; i <= steps; i++) {
        await scope.sleep(stepMs);
        scope.reportProgress(`${'#'.repeat(i)}${'.'.repeat(steps - i)} ${i}/${steps}`);
      }
    })
    .catch((error: unknown) => {
      if (!isCancelationError(error)) throw error;
    });
}

try {
  const running = [job('ingest-logs', 6, 60), job('resize-images', 8, 50), job('slow-backup', 10, 80, 350)];
  setTimeout(() => registry.cancel(registry.list({ name: 'resize-images' })[0]?.id ?? '', 'Operator cancelled'), 220);
  await Promise.all(running);
} finally {
  clearInterval(ticker);
  unsubscribe();
}
render('final');
const stats = registry.stats();
console.log(`${frames} frames; completed ${stats.byStatus.completed}, cancelled ${stats.byStatus.cancelled}`);
