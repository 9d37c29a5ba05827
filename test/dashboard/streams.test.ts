/**
 * The event streams' bounds, deterministic (a writer whose buffered bytes the test controls): changes
 * are coalesced per operation, at most N updates per interval, status changes go out at once, a
 * stream that stays above the soft limit for maxLagMs or above the cap is dropped. And the progress
 * timelines keep a bounded number of reports for a bounded number of operations.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ProgressTimelines } from '../../src/dashboard/progress-timeline.js';
import { SseHub, type SseLimits, type SseWriter } from '../../src/dashboard/sse.js';
import { OperationStore } from '../../src/dashboard/store.js';
import type { DashboardOperation, DashboardSource, SourceEvent } from '../../src/dashboard/types.js';
import { until } from './helpers.js';

function operation(id: string, patch: Partial<DashboardOperation> = {}): DashboardOperation {
  return {
    id,
    name: id,
    parentId: null,
    status: 'running',
    startTime: 1,
    endTime: null,
    durationMs: null,
    cancelReason: null,
    cancelMessage: null,
    error: null,
    progress: null,
    partialResult: null,
    metadata: {},
    ...patch,
  };
}

/** A source whose events the test pushes. */
function pushSource(initial: DashboardOperation[]): DashboardSource & { push(event: SourceEvent): void } {
  let listener: ((event: SourceEvent) => void) | undefined;
  return {
    kind: 'registry',
    description: 'test',
    list: () => Promise.resolve(initial),
    get: () => Promise.resolve(undefined),
    history: () => Promise.resolve([]),
    cancel: () => Promise.resolve({ found: false, cancelled: false }),
    watch(l) {
      listener = l;
      return () => (listener = undefined);
    },
    push: (event) => listener?.(event),
  };
}

/** A writer recording messages; `backlog` is what it claims is buffered. */
class FakeWriter implements SseWriter {
  readonly messages: { event: string; data: { rows: { id: string; progress: { message: string } | null; status: string }[]; removed: string[] } }[] = [];
  backlog = 0;
  closed = false;
  write(chunk: string): void {
    for (const block of chunk.split('\n\n')) {
      const event = /^event: (.+)$/m.exec(block)?.[1];
      const data = /^data: (.+)$/m.exec(block)?.[1];
      if (event === 'ops' && data !== undefined) this.messages.push({ event, data: JSON.parse(data) });
    }
  }
  buffered(): number {
    return this.backlog;
  }
  close(): void {
    this.closed = true;
  }
  rows(): { id: string; progress: { message: string } | null; status: string }[] {
    return this.messages.flatMap((m) => m.data.rows);
  }
}

const limits: SseLimits = {
  intervalMs: 20,
  maxUpdatesPerInterval: 50,
  softBufferBytes: 1_000,
  maxBufferedBytes: 10_000,
  maxLagMs: 100,
  maxClients: 2,
};

let hub: SseHub | undefined;
afterEach(() => {
  hub?.close();
  hub = undefined;
});

async function setup(count: number, overrides: Partial<SseLimits> = {}) {
  const source = pushSource(Array.from({ length: count }, (_, i) => operation(`op-${i}`)));
  const store = new OperationStore(source, { maxOperations: 1_000, lingerMs: 60_000, progressHistory: 5, pollMs: 1_000, historyLimit: 10 });
  await store.start();
  hub = new SseHub(store, { ...limits, ...overrides });
  return { source, store, hub };
}

describe('event streams', () => {
  it('send every operation first, at most maxUpdatesPerInterval per interval', async () => {
    const { hub } = await setup(120);
    const writer = new FakeWriter();
    hub.add(writer);
    expect(writer.rows()).toHaveLength(50); // at once, within the budget
    await until(() => writer.rows().length === 120);
    expect(new Set(writer.rows().map((row) => row.id)).size).toBe(120);
    expect(writer.messages.every((m) => m.data.rows.length <= 50)).toBe(true);
  });

  it('coalesce: many progress reports of one operation between two intervals are one update', async () => {
    const { hub, source } = await setup(1);
    const writer = new FakeWriter();
    hub.add(writer);
    const sent = writer.rows().length;
    for (let n = 1; n <= 200; n++) {
      source.push({ type: 'progress', context: operation('op-0', { progress: { message: `step ${n}`, metadata: null, at: n } }) });
    }
    await until(() => writer.rows().length > sent);
    await new Promise((resolve) => setTimeout(resolve, 60));
    const updates = writer.rows().slice(sent);
    expect(updates).toHaveLength(1);
    expect(updates[0]!.progress?.message).toBe('step 200');
  });

  it('status changes go out on the next turn of the event loop, not at the next interval', async () => {
    const { hub, source } = await setup(1, { intervalMs: 60_000 });
    const writer = new FakeWriter();
    hub.add(writer);
    source.push({ type: 'progress', context: operation('op-0', { progress: { message: 'quiet', metadata: null, at: 5 } }) });
    source.push({ type: 'end', context: operation('op-0', { status: 'cancelled', cancelReason: 'manual', cancelMessage: 'bye' }) });
    await new Promise((resolve) => setImmediate(resolve));
    expect(writer.rows().at(-1)).toMatchObject({ id: 'op-0', status: 'cancelled' });
  });

  it('a stream above the soft limit gets nothing; one that stays there for maxLagMs is dropped', async () => {
    const { hub, source } = await setup(1);
    const writer = new FakeWriter();
    hub.add(writer);
    const before = writer.messages.length;
    writer.backlog = 5_000; // above soft (1,000), under the cap (10,000)
    for (let n = 1; n <= 50; n++) source.push({ type: 'progress', context: operation('op-0', { progress: { message: `${n}`, metadata: null, at: n } }) });
    await until(() => writer.closed, 2_000);
    expect(writer.messages.length).toBe(before);
    expect(hub.stats()).toMatchObject({ clients: 0, dropped: 1, peakBufferedBytes: 5_000 });
  });

  it('a stream that drains in time is kept and catches up', async () => {
    const { hub, source } = await setup(1);
    const writer = new FakeWriter();
    hub.add(writer);
    writer.backlog = 5_000;
    source.push({ type: 'progress', context: operation('op-0', { progress: { message: 'late', metadata: null, at: 9 } }) });
    await new Promise((resolve) => setTimeout(resolve, 50));
    writer.backlog = 0;
    await until(() => writer.rows().some((row) => row.progress?.message === 'late'));
    expect(writer.closed).toBe(false);
  });

  it('a stream above the cap is dropped at once; more than maxClients are refused', async () => {
    const { hub, source } = await setup(1);
    const greedy = new FakeWriter();
    hub.add(greedy);
    const other = new FakeWriter();
    hub.add(other);
    expect(hub.full).toBe(true);
    expect(hub.add(new FakeWriter())).toBeUndefined();
    greedy.backlog = 20_000;
    source.push({ type: 'progress', context: operation('op-0', { progress: { message: 'x', metadata: null, at: 2 } }) });
    await until(() => greedy.closed, 1_000);
    expect(other.closed).toBe(false);
    expect(hub.stats().clients).toBe(1);
  });
});

describe('progress timelines', () => {
  it('keep the newest reports per operation, and the most recently updated operations', () => {
    const timelines = new ProgressTimelines(3, 2);
    for (let n = 1; n <= 5; n++) timelines.record('a', { message: `a${n}`, at: n });
    timelines.record('a', { message: 'a5', at: 5 }); // a repeat (a polled source) is not recorded twice
    expect(timelines.get('a').map((p) => p.message)).toEqual(['a3', 'a4', 'a5']);
    timelines.record('b', { message: 'b1', at: 1 });
    timelines.record('a', { message: 'a6', at: 6 }); // a is now the most recent
    timelines.record('c', { message: 'c1', at: 1 }); // evicts b, the least recently updated
    expect(timelines.size).toBe(2);
    expect(timelines.get('b')).toEqual([]);
    expect(timelines.get('a').map((p) => p.message)).toEqual(['a4', 'a5', 'a6']);
    expect(timelines.get('c').map((p) => p.message)).toEqual(['c1']);
  });
});
