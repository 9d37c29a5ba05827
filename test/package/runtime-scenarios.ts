/**
 * Running fixtures/runtime-scenarios.ts on another runtime: compiled to plain JS (esbuild), with its
 * import of 'cancelable-ts' pointed at a built file, and the results every runtime must give.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { transform } from 'esbuild';
import { expect } from 'vitest';
import { root } from './dist-graph.js';

/** The scenarios as an ES module, importing the main entry from `target` (a URL or bare name). */
export async function scenariosModule(target: string): Promise<string> {
  const source = readFileSync(join(root, 'test/package/fixtures/runtime-scenarios.ts'), 'utf8');
  const { code } = await transform(source, { loader: 'ts', format: 'esm', target: 'es2022' });
  return code.replace(/from "cancelable-ts"/, `from ${JSON.stringify(target)}`);
}

const cancelled = (name: string, reason: string, message: string | RegExp) => ({
  status: 'rejected',
  name,
  reason,
  message: typeof message === 'string' ? message : expect.stringMatching(message),
  isCancelation: true,
  instanceOfTimeout: name === 'TimeoutCancelation',
});

/** What every runtime must report (real time: order and generous bounds, no speed). */
export function expectScenarioResults(results: Record<string, unknown>): void {
  expect(results).toEqual({
    timeout: cancelled('TimeoutCancelation', 'timeout', 'Operation timed out after 20ms'),
    timeoutElapsedMs: expect.any(Number),
    fast: { status: 'fulfilled', value: 'done' },
    token: cancelled('ManualCancelation', 'manual', 'stop now'),
    tokenSignalReasonMatches: true,
    combine: cancelled('ManualCancelation', 'manual', /aborted/),
    hierarchy: { status: 'fulfilled', value: cancelled('ParentCancelation', 'parent', "Parent 'parent' was cancelled: Operation timed out after 30ms") },
    hierarchyEvents: ['current in body: parent', 'child: ParentCancelation parent'],
    stream: cancelled('ManualCancelation', 'manual', 'enough'),
    streamReceived: [1, 2, 3],
    streamCancelled: 'ManualCancelation',
    streamLocked: false,
  });
  // Cancelled at 20 ms, not after the 10 s sleep (a generous bound: machines here are shared).
  expect(results.timeoutElapsedMs as number).toBeGreaterThanOrEqual(19);
  expect(results.timeoutElapsedMs as number).toBeLessThan(5_000);
}
