import { statfs } from 'node:fs/promises';
import { cpus, freemem, totalmem } from 'node:os';
import { parse } from 'node:path';
import { checkFunction, checkKnownKeys, checkOptionalString, describeValue } from '../core/index.js';
import { checkPollInterval, PollingSource, type ProbeResult } from '../sources/poll.js';

/** Cumulative CPU times of all cores, in milliseconds (as summed from `os.cpus()`). */
export interface CpuTimes {
  /** Time spent idle. */
  idle: number;
  /** Time spent in every state, idle included. */
  total: number;
}

/**
 * How {@link ResourceConditionSource} reads usage. Replace some of them to read something else
 * (a container's cgroup limits, an application's own metrics) or to drive it from a test.
 */
export interface ResourceSamplers {
  /** Used memory of the system, in percent. Default: `1 - os.freemem() / os.totalmem()`. */
  memoryPercent(): number;
  /** Cumulative CPU times; usage is computed from the difference between two checks. Default: `os.cpus()`. */
  cpuTimes(): CpuTimes;
  /** Used space of the filesystem holding `path`, in percent. Default: `fs.promises.statfs(path)`. */
  diskPercent(path: string): number | PromiseLike<number>;
}

/** Options of {@link ResourceConditionSource}: at least one threshold. */
export interface ResourceConditionOptions {
  /** Cancel when used system memory reaches this percentage (0 < x <= 100). */
  memoryPercent?: number;
  /** Cancel when CPU usage, averaged over all cores since the previous check, reaches this percentage. */
  cpuPercent?: number;
  /** Cancel when the filesystem holding {@link ResourceConditionOptions.path} is this full. */
  diskPercent?: number;
  /** The path whose filesystem `diskPercent` watches. Default: the root of `process.cwd()`. */
  path?: string;
  /** Milliseconds between the end of one check and the start of the next. Default `5_000`. */
  intervalMs?: number;
  /** The condition's name (`ConditionCancelation.conditionName`). Default `'resources'`. */
  name?: string;
  /** Replaces some of the ways usage is read (see {@link ResourceSamplers}). */
  samplers?: Partial<ResourceSamplers>;
}

function readCpuTimes(): CpuTimes {
  let idle = 0;
  let total = 0;
  for (const cpu of cpus()) {
    const t = cpu.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { idle, total };
}

async function readDiskPercent(path: string): Promise<number> {
  const stats = await statfs(path);
  // As `df` reports it: blocks reserved for root count neither as used nor as available.
  const used = stats.blocks - stats.bfree;
  const size = used + stats.bavail;
  return size > 0 ? (used / size) * 100 : 0;
}

/** The samplers used by default: `os` for memory and CPU, `fs.promises.statfs` for disk. */
export const systemResourceSamplers: Readonly<ResourceSamplers> = Object.freeze({
  memoryPercent: () => {
    const total = totalmem();
    return total > 0 ? (1 - freemem() / total) * 100 : 0;
  },
  cpuTimes: readCpuTimes,
  diskPercent: readDiskPercent,
});

function checkPercent(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a percentage (a number), got ${describeValue(value)}`);
  if (!(value > 0 && value <= 100)) {
    throw new RangeError(`${name} must be a percentage > 0 and <= 100, got ${describeValue(value)}`);
  }
  return value;
}

function pick<F>(key: string, given: F | undefined, fallback: F): F {
  return given === undefined ? fallback : checkFunction(`options.samplers.${key}`, given);
}

function formatPercent(value: number): string {
  return `${Math.round(value * 10) / 10}%`;
}

interface ResourceData {
  /** CPU times at the previous check. */
  cpu: CpuTimes | undefined;
}

const resourceOptionKeys: ReadonlySet<string> = new Set(['memoryPercent', 'cpuPercent', 'diskPercent', 'path', 'intervalMs', 'name', 'samplers']);
const samplerKeys: ReadonlySet<string> = new Set(['memoryPercent', 'cpuTimes', 'diskPercent']);

/**
 * Cancels the scope when system resources cross a threshold: used memory, CPU usage, or how full
 * the filesystem holding `path` is; with a {@link ConditionCancelation} whose message names each
 * threshold reached and the value read (e.g. `Memory usage 93.4% reached the 90% threshold`).
 *
 * Thresholds are reached when the value is `>=` the threshold. Checks follow the
 * {@link ConditionSource} rules (first at start, never overlapping, unref'd timers, a failing read is
 * reported and polling goes on). CPU usage is the average over all cores between two checks, from
 * `os.cpus()` times, so it is first known at the second check and sampling never blocks the event
 * loop. Memory is the system's (`os.freemem()`/`os.totalmem()`), which in a container may be the
 * host's: pass `samplers.memoryPercent` to read a cgroup limit instead. Disk usage comes from
 * `fs.promises.statfs(path)`, computed as `df` does.
 *
 * @example
 * ```ts
 * const guard = new ResourceConditionSource({ memoryPercent: 90, diskPercent: 95, path: '/data', intervalMs: 2_000 });
 * await new Cancelable({ sources: [guard] }).run((scope) => importEverything(scope));
 * ```
 */
export class ResourceConditionSource extends PollingSource<ResourceData> {
  /** See {@link ResourceConditionOptions.memoryPercent}. */
  readonly memoryPercent: number | undefined;
  /** See {@link ResourceConditionOptions.cpuPercent}. */
  readonly cpuPercent: number | undefined;
  /** See {@link ResourceConditionOptions.diskPercent}. */
  readonly diskPercent: number | undefined;
  /** The path whose filesystem `diskPercent` watches. */
  readonly path: string;
  readonly #samplers: ResourceSamplers;

  constructor(options: ResourceConditionOptions) {
    if (options === undefined) {
      throw new TypeError('options must be an object with at least one of memoryPercent, cpuPercent, diskPercent');
    }
    checkKnownKeys('options', options, resourceOptionKeys);
    const memoryPercent = checkPercent('options.memoryPercent', options.memoryPercent);
    const cpuPercent = checkPercent('options.cpuPercent', options.cpuPercent);
    const diskPercent = checkPercent('options.diskPercent', options.diskPercent);
    if (memoryPercent === undefined && cpuPercent === undefined && diskPercent === undefined) {
      throw new TypeError('options must set at least one of memoryPercent, cpuPercent, diskPercent');
    }
    const path = checkOptionalString('options.path', options.path) ?? parse(process.cwd()).root;
    if (path === '') throw new RangeError('options.path must not be empty');
    const intervalMs = options.intervalMs === undefined ? 5_000 : checkPollInterval('options.intervalMs', options.intervalMs);
    const name = checkOptionalString('options.name', options.name) ?? 'resources';
    const given = options.samplers;
    checkKnownKeys('options.samplers', given, samplerKeys);
    const system = systemResourceSamplers;
    const samplers: ResourceSamplers = {
      memoryPercent: pick('memoryPercent', given?.memoryPercent, system.memoryPercent),
      cpuTimes: pick('cpuTimes', given?.cpuTimes, system.cpuTimes),
      diskPercent: pick('diskPercent', given?.diskPercent, system.diskPercent),
    };
    super(intervalMs, { reason: 'condition', name });
    this.memoryPercent = memoryPercent;
    this.cpuPercent = cpuPercent;
    this.diskPercent = diskPercent;
    this.path = path;
    this.#samplers = samplers;
  }

  protected createData(): ResourceData {
    return { cpu: undefined };
  }

  protected probe(data: ResourceData): ProbeResult | PromiseLike<ProbeResult> {
    const samplers = this.#samplers;
    const crossed: string[] = [];
    const memoryLimit = this.memoryPercent;
    if (memoryLimit !== undefined) {
      const value = samplers.memoryPercent();
      if (value >= memoryLimit) crossed.push(`Memory usage ${formatPercent(value)} reached the ${memoryLimit}% threshold`);
    }
    const cpuLimit = this.cpuPercent;
    if (cpuLimit !== undefined) {
      const now = samplers.cpuTimes();
      const before = data.cpu;
      data.cpu = now;
      const total = before === undefined ? 0 : now.total - before.total;
      if (before !== undefined && total > 0) {
        const value = (1 - (now.idle - before.idle) / total) * 100;
        if (value >= cpuLimit) crossed.push(`CPU usage ${formatPercent(value)} reached the ${cpuLimit}% threshold`);
      }
    }
    const diskLimit = this.diskPercent;
    // Already met: no need to wait for the filesystem.
    if (diskLimit === undefined || crossed.length > 0) return this.#result(crossed);
    const path = this.path;
    const disk = samplers.diskPercent(path);
    const onDisk = (value: number): ProbeResult => {
      if (value >= diskLimit) {
        crossed.push(`Disk usage of ${path} ${formatPercent(value)} reached the ${diskLimit}% threshold`);
      }
      return this.#result(crossed);
    };
    return typeof disk === 'number' ? onDisk(disk) : Promise.resolve(disk).then(onDisk);
  }

  #result(crossed: string[]): ProbeResult {
    if (crossed.length === 0) return undefined;
    return { reason: 'condition', message: crossed.join('; '), conditionName: this.name };
  }
}
