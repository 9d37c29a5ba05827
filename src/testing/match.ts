import { inspect, isDeepStrictEqual } from 'node:util';

/**
 * @internal Whether `value` has every key of `expected` with an equal value: `Object.is`, then deep
 * equality; a RegExp matches a string value.
 */
export function matches(value: object, expected: { readonly [key: string]: unknown }): boolean {
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(expected)) {
    const want = expected[key];
    const actual = record[key];
    if (Object.is(actual, want)) continue;
    if (want instanceof RegExp && typeof actual === 'string' && want.test(actual)) continue;
    if (!isDeepStrictEqual(actual, want)) return false;
  }
  return true;
}

/** @internal A short rendering for assertion messages. */
export function show(value: unknown): string {
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  return inspect(value, { depth: 2, breakLength: Infinity, maxArrayLength: 10, maxStringLength: 120 });
}
