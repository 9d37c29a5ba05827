/**
 * Issue 16 #2 (and #1 for `orphanGraceMs`): a forked child whose parent was SIGKILLed ends on its own
 * after its grace, whatever it is doing — idle, with a pending interval, or in a CPU loop that never
 * yields — and never before the grace (a 2³¹ ms grace is not ~1 ms). Real processes, real SIGKILL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Cancelable } from '../../src/index.js';
import { inScope } from '../harness/in-scope.js';
import { fixture, firstLine, isAlive, NODE, TSX_EXEC_ARGV, waitFor } from './helpers.js';

const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
});

/** Starts middle → child, SIGKILLs middle; resolves with the child's pid and when the parent died. */
async function orphan(mode: string, grace: string): Promise<{ pid: number; killedAt: number }> {
  let pid = 0;
  let killedAt = 0;
  await new Cancelable().run(async (s) => {
    const middle = inScope(s).spawn(NODE, [...TSX_EXEC_ARGV, fixture('orphan-middle.ts'), mode, grace], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    pid = Number(await firstLine(middle.child!.stdout));
    leftovers.push(pid);
    if (mode === 'cpu') await new Promise((resolve) => setTimeout(resolve, 200)); // the loop has started
    expect(isAlive(pid)).toBe(true);
    killedAt = Date.now();
    process.kill(middle.child!.pid!, 'SIGKILL');
    expect((await middle).signal).toBe('SIGKILL');
  });
  return { pid, killedAt };
}

describe('an orphaned child ends on its own (issue 16 #2)', () => {
  it.each(['interval', 'cpu'])('%s: killed after orphanGraceMs, not before', async (mode) => {
    const graceMs = 600;
    const { pid, killedAt } = await orphan(mode, String(graceMs));
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(isAlive(pid)).toBe(true); // the grace is honoured
    await waitFor(() => !isAlive(pid), 15_000, `the ${mode} child to end`);
    const endedAfter = Date.now() - killedAt;
    expect(endedAfter).toBeGreaterThanOrEqual(graceMs);
    expect(endedAfter).toBeLessThan(graceMs + 5_000); // generous: detection polls every 100 ms
  });

  it('idle: ends by itself as soon as it sees the parent gone, without waiting for the grace', async () => {
    const { pid, killedAt } = await orphan('idle', '60000');
    await waitFor(() => !isAlive(pid), 15_000, 'the idle child to end');
    expect(Date.now() - killedAt).toBeLessThan(15_000);
  });

  it('a grace of 2³¹ ms is not clamped to 1 ms: the child is still alive 1.5 s after its parent died', async () => {
    const { pid } = await orphan('interval', String(2 ** 31));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(isAlive(pid)).toBe(true);
  });

  it('orphanGraceMs: false never kills (configurable)', async () => {
    const { pid } = await orphan('interval', 'false');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(isAlive(pid)).toBe(true);
  });
});

