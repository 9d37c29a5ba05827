/**
 * Deadline headers: there is no standard one, so the common ones are spoken (SPEC §10). Each family
 * carries a relative budget (no clock-skew trust); the codecs turn it into milliseconds and back.
 * Parsers take hostile input: they accept only the documented grammar, bounded in length, and return
 * `undefined` for anything else.
 */
import { describeValue } from '../core/index.js';

/** The deadline header families, by their lower-case header name. */
export type DeadlineHeader = 'grpc-timeout' | 'connect-timeout-ms' | 'x-envoy-expected-rq-timeout-ms' | 'prefer';

/** Every family, in the default inbound order. */
export const DEADLINE_HEADERS: readonly DeadlineHeader[] = Object.freeze([
  'grpc-timeout',
  'connect-timeout-ms',
  'x-envoy-expected-rq-timeout-ms',
  'prefer',
]);

const families: ReadonlySet<string> = new Set(DEADLINE_HEADERS);

/** Whether `value` names a {@link DeadlineHeader} family (lower case). */
export function isDeadlineHeader(value: unknown): value is DeadlineHeader {
  return typeof value === 'string' && families.has(value);
}

/** @internal Throws a TypeError naming `name` unless `value` is a family. */
export function checkDeadlineHeader(name: string, value: unknown): DeadlineHeader {
  if (!isDeadlineHeader(value)) {
    throw new TypeError(`${name} must be one of ${DEADLINE_HEADERS.join(', ')}; got ${describeValue(value)}`);
  }
  return value;
}

const GRPC = /^(\d{1,8})([HMSmun])$/;
const grpcUnitMs: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 1e-3, n: 1e-6 };

/**
 * Parses a `grpc-timeout` value: 1–8 digits and a case-sensitive unit (`H` hours, `M` minutes, `S`
 * seconds, `m` milliseconds, `u` microseconds, `n` nanoseconds). Returns milliseconds, or `undefined`
 * when the value is malformed.
 * @example
 * ```ts
 * parseGrpcTimeout('250m'); // 250
 * parseGrpcTimeout('2S');   // 2000
 * parseGrpcTimeout('2s');   // undefined (units are case-sensitive)
 * ```
 */
export function parseGrpcTimeout(value: string): number | undefined {
  if (typeof value !== 'string' || value.length > 9) return undefined;
  const match = GRPC.exec(value);
  if (match === null) return undefined;
  return Number(match[1]) * grpcUnitMs[match[2]!]!;
}

/**
 * Formats a budget in milliseconds as a `grpc-timeout` value: whole milliseconds as `m`, otherwise
 * the finest unit from `u` up that fits in 8 digits, rounded down (a budget sent on is never longer
 * than the one we had). Throws a RangeError for a negative or non-finite budget.
 * @example
 * ```ts
 * formatGrpcTimeout(250);           // '250m'
 * formatGrpcTimeout(1.5);           // '1500u'
 * formatGrpcTimeout(3_600_000_000); // '3600000S'
 * ```
 */
export function formatGrpcTimeout(ms: number): string {
  checkBudget('ms', ms);
  if (Number.isInteger(ms) && ms <= 99_999_999) return `${ms}m`;
  for (const unit of ['u', 'm', 'S', 'M', 'H'] as const) {
    const count = Math.floor(ms / grpcUnitMs[unit]! + 1e-9);
    if (count <= 99_999_999) return `${count}${unit}`;
  }
  return '99999999H';
}

const MS = /^\d{1,10}$/;

/**
 * Parses an integer-milliseconds header (`Connect-Timeout-Ms`, `x-envoy-expected-rq-timeout-ms`):
 * 1–10 ASCII digits. Returns the milliseconds, or `undefined` when malformed.
 * @example
 * ```ts
 * parseTimeoutMs('1500'); // 1500
 * parseTimeoutMs('-1');   // undefined
 * ```
 */
export function parseTimeoutMs(value: string): number | undefined {
  if (typeof value !== 'string' || !MS.test(value)) return undefined;
  return Number(value);
}

/**
 * Formats a budget as an integer-milliseconds header value, rounded down.
 * @example
 * ```ts
 * headers.set('connect-timeout-ms', formatTimeoutMs(1499.7)); // '1499'
 * ```
 */
export function formatTimeoutMs(ms: number): string {
  checkBudget('ms', ms);
  return String(Math.min(Math.floor(ms), 9_999_999_999));
}

/** `Connect-Timeout-Ms` parser (integer milliseconds). @example `parseConnectTimeout('500') // 500` */
export const parseConnectTimeout: (value: string) => number | undefined = parseTimeoutMs;
/** `Connect-Timeout-Ms` formatter. @example `formatConnectTimeout(500) // '500'` */
export const formatConnectTimeout: (ms: number) => string = formatTimeoutMs;
/** `x-envoy-expected-rq-timeout-ms` parser. @example `parseEnvoyTimeout('500') // 500` */
export const parseEnvoyTimeout: (value: string) => number | undefined = parseTimeoutMs;
/** `x-envoy-expected-rq-timeout-ms` formatter. @example `formatEnvoyTimeout(500) // '500'` */
export const formatEnvoyTimeout: (ms: number) => string = formatTimeoutMs;

const WAIT = /^wait\s*=\s*(?:"(\d{1,10})"|(\d{1,10}))$/i;

/**
 * Reads the `wait` preference of a `Prefer` header (RFC 7240: `wait=N`, N in seconds), among other
 * preferences (`Prefer: respond-async, wait=10`). Returns milliseconds; `undefined` when there is no
 * well-formed `wait` preference, or more than one.
 * @example
 * ```ts
 * parsePreferWait('respond-async, wait=10'); // 10000
 * parsePreferWait('wait=soon');              // undefined
 * ```
 */
export function parsePreferWait(value: string): number | undefined {
  if (typeof value !== 'string' || value.length > 1024) return undefined;
  let found: number | undefined;
  for (const part of value.split(',')) {
    const preference = part.split(';')[0]!.trim();
    if (!/^wait\b/i.test(preference)) continue;
    const match = WAIT.exec(preference);
    if (match === null || found !== undefined) return undefined;
    found = Number(match[1] ?? match[2]) * 1_000;
  }
  return found;
}

/**
 * Formats a budget as a `Prefer` value, `wait=N` in whole seconds rounded down.
 * @example
 * ```ts
 * formatPreferWait(2_500); // 'wait=2'
 * ```
 */
export function formatPreferWait(ms: number): string {
  checkBudget('ms', ms);
  return `wait=${Math.min(Math.floor(ms / 1_000), 9_999_999_999)}`;
}

/**
 * Parses the value of one deadline header family into milliseconds (`undefined` when malformed).
 * @example
 * ```ts
 * parseDeadlineHeader('grpc-timeout', '1S'); // 1000
 * ```
 */
export function parseDeadlineHeader(family: DeadlineHeader, value: string): number | undefined {
  switch (checkDeadlineHeader('family', family)) {
    case 'grpc-timeout':
      return parseGrpcTimeout(value);
    case 'prefer':
      return parsePreferWait(value);
    default:
      return parseTimeoutMs(value);
  }
}

/**
 * Formats a budget in one deadline header family.
 * @example
 * ```ts
 * formatDeadlineHeader('grpc-timeout', 1_000); // '1000m'
 * ```
 */
export function formatDeadlineHeader(family: DeadlineHeader, ms: number): string {
  switch (checkDeadlineHeader('family', family)) {
    case 'grpc-timeout':
      return formatGrpcTimeout(ms);
    case 'prefer':
      return formatPreferWait(ms);
    default:
      return formatTimeoutMs(ms);
  }
}

function checkBudget(name: string, ms: unknown): void {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${describeValue(ms)}`);
  }
}

/** A deadline header that was present but not trusted (malformed, or repeated). */
export interface InvalidDeadline {
  /** The header family. */
  readonly header: DeadlineHeader;
  /** The raw value, cut to 200 characters. */
  readonly value: string;
  /** Why it was ignored. */
  readonly problem: 'malformed' | 'repeated';
}

/** The budget a request came with, from the first well-formed header of the configured list. */
export interface InboundDeadline {
  /** The family it came in. */
  readonly header: DeadlineHeader;
  /** The budget, in milliseconds. */
  readonly budgetMs: number;
}

/** Something that reads one header: a Node headers object or a web `Headers`. */
export type HeaderReader = (name: string) => string | readonly string[] | undefined | null;

/**
 * @internal Reads the deadline headers of one request in the order of `list`: the first well-formed one
 * wins; malformed or repeated ones are collected in `invalid` (and never trusted).
 */
export function readInboundDeadline(
  read: HeaderReader,
  list: readonly DeadlineHeader[],
  invalid: InvalidDeadline[],
): InboundDeadline | undefined {
  let found: InboundDeadline | undefined;
  for (const header of list) {
    const raw = read(header);
    if (raw === undefined || raw === null) continue;
    if (typeof raw !== 'string') {
      invalid.push({ header, value: String(raw.join(', ')).slice(0, 200), problem: 'repeated' });
      continue;
    }
    // A Prefer header with other preferences only says nothing about time.
    if (header === 'prefer' && !/(?:^|[,\s])wait\b/i.test(raw)) continue;
    // Node joins a repeated header with ', ': two budgets are as untrustworthy as a malformed one.
    const budgetMs = parseDeadlineHeader(header, header === 'prefer' ? raw : raw.trim());
    if (budgetMs === undefined) {
      invalid.push({ header, value: raw.slice(0, 200), problem: raw.includes(',') && header !== 'prefer' ? 'repeated' : 'malformed' });
      continue;
    }
    found ??= { header, budgetMs };
  }
  return found;
}
