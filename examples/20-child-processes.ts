/**
 * 20 — Child processes: spawn() stops a command with SIGTERM (then SIGKILL after a grace) when
 * the scope is cancelled; fork() links a Node child's own scope to the parent's.
 * Run: npx tsx examples/20-child-processes.ts
 */
import { Cancelable, TimeoutCancelation } from 'cancelable-ts';
import { fork, spawn } from 'cancelable-ts/process';

// 1. spawn: a command that finishes, then one that runs too long.
const { code, stdout } = await Cancelable.withTimeout(5_000).run(() =>
  spawn(process.execPath, ['-e', 'console.log("hello from " + process.pid)']),
);
console.log(`1. spawn finished with code ${code}: ${stdout?.trim()}`);

try {
  await Cancelable.withTimeout(200, { name: 'long-command' }).run(() =>
    spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { graceMs: 1_000 }),
  );
} catch (error) {
  if (!(error instanceof TimeoutCancelation)) throw error;
  console.log(`   long command stopped: ${error.message} (SIGTERM sent, no SIGKILL needed)`);
}

// 2. fork: the child's scope is cancelled with the parent's reason and message.
const child = new URL('./workers/fork-child.ts', import.meta.url);
const result = await Cancelable.withTimeout(5_000).run(() =>
  fork<{ converted: number }>(child, ['2'], { execArgv: ['--import', 'tsx'] }),
);
console.log(`2. fork result: ${JSON.stringify(result)}`);

// Under load a child can take a while to boot: give the batch 300 ms from its first converted file.
const batch = new Cancelable({ name: 'batch-convert' });
try {
  await batch.run(() => {
    const converting = fork(child, ['100'], { execArgv: ['--import', 'tsx'], stdio: ['inherit', 'pipe', 'inherit', 'ipc'] });
    const output = converting.child?.stdout;
    output?.pipe(process.stdout, { end: false });
    output?.once('data', () =>
      setTimeout(() => batch.cancel({ reason: 'timeout', message: 'Operation timed out after 300ms' }), 300),
    );
    return converting;
  });
} catch (error) {
  if (!(error instanceof TimeoutCancelation)) throw error;
  console.log(`   batch-convert cancelled: ${error.message}`);
}
