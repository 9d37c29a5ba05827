// SPEC §1.5 / issue 14: the layers of src/ only point down, the runtime import graph has no cycle, and
// no file of the kernel (src/core/) is over 400 lines. scripts/check-layers.ts holds the rules; this
// test makes CI enforce them.
import { describe, expect, it } from 'vitest';
import { importEdges, longCoreFiles, runtimeCycles, upwardImports } from '../../scripts/check-layers.js';

describe('layers of src/', () => {
  const edges = importEdges();

  it('reads the import graph (sanity: the checker sees the kernel and its users)', () => {
    expect(edges.length).toBeGreaterThan(100);
    expect(edges.some((edge) => edge.from === 'cancelable.ts' && edge.to.startsWith('core/'))).toBe(true);
  });

  it('core/ imports nothing outside itself, and no layer imports a higher one', () => {
    const upward = upwardImports(edges).map((edge) => `${edge.from} -> ${edge.to}`);
    expect(upward).toEqual([]);
  });

  it('the runtime import graph has no cycle', () => {
    const cycles = runtimeCycles(edges).map((cycle) => cycle.join(' -> '));
    expect(cycles).toEqual([]);
  });

  it('the checker flags what it must (synthetic graphs)', () => {
    const edge = (from: string, to: string, typeOnly = false, lazy = false) => ({ from, to, typeOnly, lazy });
    expect(upwardImports([edge('core/a.ts', 'sources/b.ts', true), edge('sources/b.ts', 'core/a.ts')])).toEqual([
      edge('core/a.ts', 'sources/b.ts', true),
    ]);
    // A lazy import (`await import()`) is not a load-time edge: it breaks no cycle rule, but still points somewhere.
    expect(runtimeCycles([edge('a.ts', 'b.ts'), edge('b.ts', 'a.ts', false, true)])).toEqual([]);
    expect(upwardImports([edge('sources/b.ts', 'cancelable.ts'), edge('processes/x.ts', 'registry/y.ts')])).toHaveLength(1);
    expect(runtimeCycles([edge('a.ts', 'b.ts'), edge('b.ts', 'a.ts')])).toEqual([['a.ts', 'b.ts', 'a.ts']]);
    expect(runtimeCycles([edge('a.ts', 'b.ts'), edge('b.ts', 'a.ts', true)])).toEqual([]);
  });

  it('no file of core/ is over 400 lines', () => {
    expect(longCoreFiles(400)).toEqual([]);
  });
});
