// The control endpoint's wire format and the CLI's name patterns, unit by unit (mutation testing,
// docs/reliability.md): line splitting with its cap, encoding, and /regex/flags parsing.
import { describe, expect, it } from 'vitest';
import { encodeLine, LineSplitter } from '../../src/control/protocol.js';
import { parseNamePattern } from '../../src/control/name-pattern.js';

function splitter(maxBytes: number): { push: (text: string) => void; lines: string[]; oversize: number } {
  const state = { lines: [] as string[], oversize: 0 };
  const lines = new LineSplitter(
    maxBytes,
    (line) => void state.lines.push(line),
    () => void state.oversize++,
  );
  return {
    push: (text) => lines.push(Buffer.from(text, 'utf8')),
    get lines() {
      return state.lines;
    },
    get oversize() {
      return state.oversize;
    },
  };
}

describe('LineSplitter', () => {
  it('splits lines across chunks, drops a trailing \\r, keeps empty lines', () => {
    const s = splitter(100);
    s.push('{"a":');
    s.push('1}\r\n{"b"');
    s.push(':2}\n\nlast');
    expect(s.lines).toEqual(['{"a":1}', '{"b":2}', '']);
    s.push('\n');
    expect(s.lines).toEqual(['{"a":1}', '{"b":2}', '', 'last']);
    expect(s.oversize).toBe(0);
  });

  it('accepts a line of exactly maxBytes; one byte more is reported once and skipped to its newline', () => {
    const s = splitter(4);
    s.push('abcd\n');
    expect(s.lines).toEqual(['abcd']);
    s.push('abc');
    s.push('de');
    s.push('fgh');
    expect(s.oversize).toBe(1);
    s.push('ij\nok\n');
    expect(s.lines).toEqual(['abcd', 'ok']);
    expect(s.oversize).toBe(1);
  });

  it('counts bytes, not characters', () => {
    const s = splitter(4);
    s.push('éé\n'); // 4 bytes
    s.push('ééé\n'); // 6 bytes
    expect(s.lines).toEqual(['éé']);
    expect(s.oversize).toBe(1);
  });
});

describe('encodeLine', () => {
  it('one JSON line; BigInt as a string', () => {
    expect(encodeLine({ id: 1, n: 10n, s: 'x' })).toBe('{"id":1,"n":"10","s":"x"}\n');
  });
});

describe('parseNamePattern', () => {
  it('a /source/flags pattern drops g and y; anything else is a substring', () => {
    expect(parseNamePattern('/a.b/gimsuy')).toEqual(/a.b/imsu);
    expect(parseNamePattern('/x/')).toEqual(/x/);
    expect(parseNamePattern('/a\nb/')).toEqual(/a\nb/);
    expect(parseNamePattern('//')).toBe('//');
    expect(parseNamePattern('/x/G')).toBe('/x/G');
    expect(parseNamePattern('a/x/')).toBe('a/x/');
  });

  it('names what is wrong', () => {
    expect(() => parseNamePattern(42 as never)).toThrow(new TypeError('pattern must be a string, got 42'));
    expect(() => parseNamePattern('')).toThrow(new RangeError('pattern must not be empty'));
    expect(() => parseNamePattern('/(/')).toThrow(/^pattern "\/\(\/" is not a valid regular expression: /);
  });
});
