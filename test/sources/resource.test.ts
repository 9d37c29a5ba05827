import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { Cancelable, ConditionCancelation, channelNames } from '../../src/index.js';
import { ResourceConditionSource, systemResourceSamplers, type CpuTimes } from '../../src/processes/index.js';
import { deferred, flush, ManualClock, rejection } from './clock.js';

/** Returns the values in turn, then repeats the last one. */
function sequence<T>(...values: T[]): () => T {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)] as T;
}

describe('ResourceConditionSource: validation', () => {
  it('needs at least one threshold', () => {
    expect(() => new ResourceConditionSource(undefined as never)).toThrow(TypeError);
    expect(() => new ResourceConditionSource({})).toThrow(/at least one of memoryPercent, cpuPercent, diskPercent/);
    expect(() => new ResourceConditionSource({ intervalMs: 100 })).toThrow(TypeError);
  });

  it('rejects bad thresholds, intervals, paths and samplers, naming the parameter', () => {
    expect(() => new ResourceConditionSource({ memoryPercent: 0 })).toThrow(RangeError);
    expect(() => new ResourceConditionSource({ memoryPercent: 101 })).toThrow(/options\.memoryPercent .*got 101/);
    expect(() => new ResourceConditionSource({ cpuPercent: -1 })).toThrow(/options\.cpuPercent/);
    expect(() => new ResourceConditionSource({ diskPercent: Number.NaN })).toThrow(/options\.diskPercent/);
    expect(() => new ResourceConditionSource({ diskPercent: '90' as never })).toThrow(TypeError);
    expect(() => new ResourceConditionSource({ memoryPercent: 90, intervalMs: 0 })).toThrow(/options\.intervalMs/);
    expect(() => new ResourceConditionSource({ memoryPercent: 90, intervalMs: -10 })).toThrow(RangeError);
    expect(() => new ResourceConditionSource({ diskPercent: 90, path: '' })).toThrow(/options\.path must not be empty/);
    expect(() => new ResourceConditionSource({ diskPercent: 90, path: 7 as never })).toThrow(/options\.path must be a string/);
    expect(() => new ResourceConditionSource({ cpuPercent: 90, samplers: { cpuTimes: 1 as never } })).toThrow(
      /options\.samplers\.cpuTimes must be a function/,
    );
    expect(() => new ResourceConditionSource({ cpuPercent: 90, samplers: 'x' as never })).toThrow(/options\.samplers/);
  });

  it('has sensible defaults', () => {
    const source = new ResourceConditionSource({ diskPercent: 95 });
    expect(source.intervalMs).toBe(5_000);
    expect(source.name).toBe('resources');
    expect(source.path).toBe(process.platform === 'win32' ? source.path : '/');
    expect(source.reason).toBe('condition');
  });
});

describe('ResourceConditionSource: thresholds', () => {
  it('fires when memory reaches its threshold, naming it and the value', async () => {
    const clock = new ManualClock();
    const memoryPercent = sequence(50, 89.94, 90);
    const source = new ResourceConditionSource({ memoryPercent: 90, intervalMs: 1_000, samplers: { memoryPercent } });
    const scope = new Cancelable({ clock, sources: [source] });
    const run = rejection(scope.run((s) => s.sleep(60_000)));
    clock.advance(1_000);
    expect(scope.isCancelled).toBe(false);
    clock.advance(1_000);
    const error = await run;
    expect(error).toBeInstanceOf(ConditionCancelation);
    expect((error as ConditionCancelation).conditionName).toBe('resources');
    expect(error.message).toBe('Memory usage 90% reached the 90% threshold');
    expect(clock.pending).toBe(0);
  });

  it('computes CPU usage between two checks (first check is the baseline)', async () => {
    const clock = new ManualClock();
    const cpuTimes = sequence<CpuTimes>(
      { idle: 1_000, total: 2_000 },
      { idle: 1_050, total: 2_100 }, // 50 %
      { idle: 1_055, total: 2_200 }, // 95 %
    );
    const scope = new Cancelable({
      clock,
      sources: [new ResourceConditionSource({ cpuPercent: 90, intervalMs: 500, samplers: { cpuTimes }, name: 'cpu' })],
    });
    const run = rejection(scope.run((s) => s.sleep(60_000)));
    clock.advance(500);
    expect(scope.isCancelled).toBe(false);
    clock.advance(500);
    const error = await run;
    expect(error.message).toBe('CPU usage 95% reached the 90% threshold');
    expect((error as ConditionCancelation).conditionName).toBe('cpu');
  });

  it('reads disk usage asynchronously for its path, never overlapping checks', async () => {
    const clock = new ManualClock();
    const answers: ReturnType<typeof deferred<number>>[] = [];
    const paths: string[] = [];
    const diskPercent = (path: string): Promise<number> => {
      paths.push(path);
      const answer = deferred<number>();
      answers.push(answer);
      return answer.promise;
    };
    const scope = new Cancelable({
      clock,
      sources: [new ResourceConditionSource({ diskPercent: 95, path: '/data', intervalMs: 100, samplers: { diskPercent } })],
    });
    const run = rejection(scope.run((s) => s.sleep(60_000)));
    await clock.tick(1_000);
    expect(answers).toHaveLength(1);
    answers[0]!.resolve(80);
    await flush();
    await clock.tick(100);
    expect(answers).toHaveLength(2);
    answers[1]!.resolve(97.46);
    const error = await run;
    expect(error.message).toBe('Disk usage of /data 97.5% reached the 95% threshold');
    expect(paths).toEqual(['/data', '/data']);
  });

  it('names every threshold reached in the same check, and skips the disk once one is reached', async () => {
    let diskReads = 0;
    const error = await rejection(
      new Cancelable({
        sources: [
          new ResourceConditionSource({
            memoryPercent: 80,
            cpuPercent: 10,
            diskPercent: 50,
            samplers: { memoryPercent: () => 85, cpuTimes: () => ({ idle: 0, total: 0 }), diskPercent: () => ++diskReads },
          }),
        ],
      }).run((s) => s.sleep(60_000)),
    );
    expect(error.message).toBe('Memory usage 85% reached the 80% threshold');
    expect(diskReads).toBe(0);

    const clock = new ManualClock();
    const both = new Cancelable({
      clock,
      sources: [
        new ResourceConditionSource({
          memoryPercent: 80,
          cpuPercent: 50,
          intervalMs: 10,
          samplers: {
            memoryPercent: sequence(10, 85),
            cpuTimes: sequence({ idle: 0, total: 0 }, { idle: 10, total: 100 }),
          },
        }),
      ],
    });
    const run = rejection(both.run((s) => s.sleep(60_000)));
    clock.advance(10);
    expect((await run).message).toBe('Memory usage 85% reached the 80% threshold; CPU usage 90% reached the 50% threshold');
  });

  it('reports a failing read and keeps polling', async () => {
    const clock = new ManualClock();
    const reports: { phase: string; error: unknown }[] = [];
    const listener = (message: unknown): void => {
      reports.push(message as { phase: string; error: unknown });
    };
    subscribe(channelNames.sourceError, listener);
    try {
      let reads = 0;
      const diskPercent = async (): Promise<number> => {
        reads++;
        if (reads === 1) throw new Error('ENOENT');
        return 99;
      };
      const scope = new Cancelable({
        clock,
        sources: [new ResourceConditionSource({ diskPercent: 90, intervalMs: 100, samplers: { diskPercent } })],
      });
      const run = rejection(scope.run((s) => s.sleep(60_000)));
      await flush();
      await clock.tick(100);
      expect((await run).message).toMatch(/^Disk usage of .* 99% reached the 90% threshold$/);
    } finally {
      unsubscribe(channelNames.sourceError, listener);
    }
    expect(reports.map((r) => [r.phase, (r.error as Error).message])).toEqual([['predicate', 'ENOENT']]);
  });
});

describe('ResourceConditionSource: real system values', () => {
  it('reads real memory, CPU times and disk usage', async () => {
    const memory = systemResourceSamplers.memoryPercent();
    expect(memory).toBeGreaterThan(0);
    expect(memory).toBeLessThanOrEqual(100);
    const cpu = systemResourceSamplers.cpuTimes();
    expect(cpu.total).toBeGreaterThan(0);
    expect(cpu.idle).toBeLessThanOrEqual(cpu.total);
    const disk = await systemResourceSamplers.diskPercent(process.cwd());
    expect(disk).toBeGreaterThanOrEqual(0);
    expect(disk).toBeLessThanOrEqual(100);
  });

  it('cancels a real scope on real memory and disk readings', async () => {
    const memory = await rejection(
      new Cancelable({ sources: [new ResourceConditionSource({ memoryPercent: 0.001 })] }).run((s) => s.sleep(60_000)),
    );
    const memoryValue = Number(/^Memory usage ([\d.]+)% reached the 0\.001% threshold$/.exec(memory.message)?.[1]);
    expect(memoryValue).toBeGreaterThan(0);
    expect(memoryValue).toBeLessThanOrEqual(100);
    const disk = await rejection(
      new Cancelable({ sources: [new ResourceConditionSource({ diskPercent: 0.001, path: process.cwd() })] }).run((s) =>
        s.sleep(60_000),
      ),
    );
    expect(disk.message).toMatch(/^Disk usage of .+ [\d.]+% reached the 0\.001% threshold$/);
  });

  it('measures real CPU usage between two checks while the body works', async () => {
    const scope = new Cancelable({ sources: [new ResourceConditionSource({ cpuPercent: 0.001, intervalMs: 30 })] });
    const error = await rejection(
      scope.run(async (s) => {
        for (;;) {
          const end = Date.now() + 10;
          while (Date.now() < end) {
            // busy: make sure some CPU time passes between the two checks
          }
          await s.sleep(1);
        }
      }),
    );
    const value = Number(/^CPU usage ([\d.]+)% reached the 0\.001% threshold$/.exec(error.message)?.[1]);
    expect(value).toBeGreaterThan(0);
    expect(value).toBeLessThanOrEqual(100);
  });
});
