// The deadline header codecs (SPEC §10): each family's grammar, hostile values, round trips; and the
// inbound reading on a real server: each family parsed, malformed ones ignored and reported.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  formatDeadlineHeader,
  formatGrpcTimeout,
  formatPreferWait,
  formatTimeoutMs,
  parseConnectTimeout,
  parseDeadlineHeader,
  parseEnvoyTimeout,
  parseGrpcTimeout,
  parsePreferWait,
  requestInfo,
  requestScope,
  DEADLINE_HEADERS,
  type InvalidDeadline,
  type RequestInfo,
} from '../../src/http/index.js';
import { get, listen, type Started } from './helpers.js';

describe('grpc-timeout', () => {
  it('parses every unit, case-sensitively', () => {
    expect(parseGrpcTimeout('2H')).toBe(7_200_000);
    expect(parseGrpcTimeout('3M')).toBe(180_000);
    expect(parseGrpcTimeout('4S')).toBe(4_000);
    expect(parseGrpcTimeout('250m')).toBe(250);
    expect(parseGrpcTimeout('1500u')).toBe(1.5);
    expect(parseGrpcTimeout('2000000n')).toBe(2);
    expect(parseGrpcTimeout('99999999S')).toBe(99_999_999_000);
  });
  it.each(['', 'S', '5', '5s', '5ms', '-5S', '5.5S', ' 5S', '5S ', '123456789S', '0x10S', '5 S', '5SS', '５S'])('rejects %j', (value) => {
    expect(parseGrpcTimeout(value)).toBeUndefined();
  });
  it('formats whole ms as m, fractions in u, long budgets in coarser units, never rounding up', () => {
    expect(formatGrpcTimeout(250)).toBe('250m');
    expect(formatGrpcTimeout(0)).toBe('0m');
    expect(formatGrpcTimeout(1.5)).toBe('1500u');
    expect(formatGrpcTimeout(3_600_000_000)).toBe('3600000S');
    expect(() => formatGrpcTimeout(-1)).toThrow(RangeError);
    expect(() => formatGrpcTimeout(Number.NaN)).toThrow(/ms must be a finite number >= 0, got NaN/);
  });
  it('round trip: what is sent parses to at most the budget, within one unit', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e12, noNaN: true }), (ms) => {
        const sent = formatGrpcTimeout(ms);
        const back = parseGrpcTimeout(sent)!;
        // The unit the budget went out in: 8 digits of it, rounded down (above 99,999,999 ms the
        // unit is the second, so up to 1 s is lost; fast-check once found 101 ms at 100,000,101 ms).
        const unitMs = parseGrpcTimeout(`1${sent.slice(-1)}`)!;
        expect(back).toBeLessThanOrEqual(ms + 1e-6);
        expect(ms - back).toBeLessThan(unitMs + Math.max(1e-6, ms * 1e-12));
      }),
    );
    // The case fast-check found: rounded down to whole seconds, never up.
    expect(formatGrpcTimeout(100_000_101.00010101)).toBe('100000S');
  });
});

describe('integer ms families and Prefer: wait', () => {
  it('Connect-Timeout-Ms and Envoy: 1-10 digits', () => {
    expect(parseConnectTimeout('1500')).toBe(1500);
    expect(parseEnvoyTimeout('0')).toBe(0);
    for (const bad of ['', '-1', '1.5', '1e3', '12345678901', ' 5', 'abc']) {
      expect(parseConnectTimeout(bad)).toBeUndefined();
    }
    expect(formatTimeoutMs(1499.9)).toBe('1499');
  });
  it('Prefer: wait=N among other preferences, in seconds', () => {
    expect(parsePreferWait('wait=10')).toBe(10_000);
    expect(parsePreferWait('respond-async, wait=5')).toBe(5_000);
    expect(parsePreferWait('return=minimal; foo="bar", WAIT = "3"')).toBe(3_000);
    expect(parsePreferWait('respond-async')).toBeUndefined();
    expect(parsePreferWait('wait=soon')).toBeUndefined();
    expect(parsePreferWait('wait=1, wait=2')).toBeUndefined();
    expect(parsePreferWait('wait=-1')).toBeUndefined();
    expect(parsePreferWait(`${'x,'.repeat(600)}wait=1`)).toBeUndefined(); // bounded
    expect(formatPreferWait(2_999)).toBe('wait=2');
  });
  it('the family dispatchers', () => {
    for (const family of DEADLINE_HEADERS) {
      expect(parseDeadlineHeader(family, formatDeadlineHeader(family, 7_000))).toBe(7_000);
    }
    expect(() => parseDeadlineHeader('x-timeout' as never, '1')).toThrow(/family must be one of grpc-timeout/);
  });
});

describe('inbound deadline headers on a real server', () => {
  let server: Started<unknown> | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function inbound(headers: Record<string, string>, deadlineHeaders?: readonly (typeof DEADLINE_HEADERS)[number][]): Promise<{ info: RequestInfo; invalid: InvalidDeadline[] }> {
    let seen: { info: RequestInfo; invalid: InvalidDeadline[] } | undefined;
    const started = await listen((req, res) => {
      const invalid: InvalidDeadline[] = [];
      const scope = requestScope(req, res, { timeout: 60_000, onInvalidDeadline: (entry) => invalid.push(entry), ...(deadlineHeaders ? { deadlineHeaders } : {}) });
      seen = { info: requestInfo(scope)!, invalid };
      res.end();
    });
    server = started;
    await get(started.url, { headers });
    await started.close();
    server = undefined;
    return seen!;
  }

  it.each([
    ['grpc-timeout', '2S', 2_000],
    ['connect-timeout-ms', '1500', 1_500],
    ['x-envoy-expected-rq-timeout-ms', '800', 800],
    ['prefer', 'respond-async, wait=3', 3_000],
  ] as const)('%s is read as the caller budget', async (header, value, ms) => {
    const { info, invalid } = await inbound({ [header]: value });
    expect(info).toMatchObject({ header, callerBudgetMs: ms, deadlineBy: 'caller', routeTimeoutMs: 60_000 });
    expect(invalid).toEqual([]);
  });

  it('malformed headers are ignored (never trusted) and reported; the next well-formed one wins', async () => {
    const { info, invalid } = await inbound({ 'grpc-timeout': '5s', 'connect-timeout-ms': '-3', 'x-envoy-expected-rq-timeout-ms': '250' });
    expect(info).toMatchObject({ header: 'x-envoy-expected-rq-timeout-ms', callerBudgetMs: 250 });
    expect(invalid).toEqual([
      { header: 'grpc-timeout', value: '5s', problem: 'malformed' },
      { header: 'connect-timeout-ms', value: '-3', problem: 'malformed' },
    ]);
    const only = await inbound({ 'grpc-timeout': '1S, 2S' });
    expect(only.info).toMatchObject({ header: undefined, deadlineBy: 'route', callerBudgetMs: undefined });
    expect(only.invalid).toEqual([{ header: 'grpc-timeout', value: '1S, 2S', problem: 'repeated' }]);
  });

  it('a caller budget longer than the route timeout does not extend it; the list is configurable', async () => {
    const { info } = await inbound({ 'connect-timeout-ms': '999999' });
    expect(info.deadlineBy).toBe('route');
    expect(info.deadline).toBeLessThanOrEqual(Date.now() + 60_000);
    const ignored = await inbound({ 'grpc-timeout': '1S' }, ['prefer']);
    expect(ignored.info.header).toBeUndefined();
  });
});
