import { describeValue } from '../core/validate.js';

const REGEX_LITERAL = /^\/(.+)\/([a-z]*)$/s;

/**
 * A name pattern as typed by a person (the CLI's `--name`): `/source/flags` is a regular expression
 * (`g` and `y` are dropped: they make `test()` stateful), anything else a case-insensitive substring.
 * Only for input from the user at hand: the control endpoint never compiles a pattern it receives
 * (over the socket a name filter is always a substring), and `ControlClient` filters RegExp names
 * itself.
 * @example
 * ```ts
 * parseNamePattern('/^job-\\d+$/i'); // /^job-\d+$/i
 * parseNamePattern('job-1');         // 'job-1'
 * ```
 */
export function parseNamePattern(pattern: string): string | RegExp {
  if (typeof pattern !== 'string') throw new TypeError(`pattern must be a string, got ${describeValue(pattern)}`);
  if (pattern === '') throw new RangeError('pattern must not be empty');
  const match = REGEX_LITERAL.exec(pattern);
  if (match === null) return pattern;
  try {
    return new RegExp(match[1] as string, (match[2] as string).replace(/[gy]/g, ''));
  } catch (error) {
    throw new RangeError(`pattern ${describeValue(pattern)} is not a valid regular expression: ${(error as Error).message}`);
  }
}
