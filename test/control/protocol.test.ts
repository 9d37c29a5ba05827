// The control endpoint's wire format and the CLI's name patterns, unit by unit (mutation testing,
// docs/reliability.md): line splitting with its cap, encoding, /regex/flags parsing, and the checks
// of socket directories.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSocketParent, isPerUserTempDir, preparePrivateDir } from '../../src/control/socket-dir.js';
import { encodeLine, LineSplitter } from '../../src/control/protocol.js';
import { parseNamePattern } from '../../src/control/name-pattern.js';
import { otherUser } from './helpers.js';

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

describe.skipIf(process.platform === 'win32')('socket directories (socket-dir.ts)', () => {
  const root = mkdtempSync(join(tmpdir(), 'cbl-dir-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let counter = 0;
  const fresh = (mode = 0o700): string => {
    const dir = join(root, `d${++counter}`);
    mkdirSync(dir);
    chmodSync(dir, mode);
    return dir;
  };

  it('isPerUserTempDir: only <tmpdir>/cancelable-<name>', () => {
    expect(isPerUserTempDir(join(tmpdir(), 'cancelable-0'))).toBe(true);
    expect(isPerUserTempDir(join(tmpdir(), 'cancelable-a.b_c-1'))).toBe(true);
    expect(isPerUserTempDir(join(tmpdir(), 'cancelable-'))).toBe(false);
    expect(isPerUserTempDir(join(tmpdir(), 'other-0'))).toBe(false);
    expect(isPerUserTempDir(join(tmpdir(), 'x', 'cancelable-0'))).toBe(false);
    expect(isPerUserTempDir(join(tmpdir(), 'cancelable-a b'))).toBe(false);
    expect(isPerUserTempDir(join(tmpdir(), 'my-cancelable-0'))).toBe(false);
    // A sibling of the temp dir whose name has the same length: not under it.
    expect(isPerUserTempDir(join(`${tmpdir().slice(0, -1)}${tmpdir().endsWith('X') ? 'Y' : 'X'}`, 'cancelable-0'))).toBe(false);
  });

  it('preparePrivateDir: missing, a file, a symlink, group- or other-writable', () => {
    expect(() => preparePrivateDir(join(root, 'missing'), false)).toThrow(
      expect.objectContaining({ code: 'ENOENT', message: `cannot use ${join(root, 'missing')} for a control socket: it does not exist` }),
    );
    const file = join(root, 'file');
    writeFileSync(file, '');
    expect(() => preparePrivateDir(file, false)).toThrow(expect.objectContaining({ code: 'ENOTDIR', message: expect.stringContaining('it is not a directory') }));
    const link = join(root, 'link');
    symlinkSync(fresh(), link);
    expect(() => preparePrivateDir(link, false)).not.toThrow(); // a user-chosen directory may be a symlink
    expect(() => preparePrivateDir(link, true)).toThrow(expect.objectContaining({ code: 'ENOTDIR', message: expect.stringContaining('it is a symbolic link') }));
    expect(() => preparePrivateDir(fresh(0o770), false)).toThrow(expect.objectContaining({ code: 'EACCES', message: expect.stringContaining('(mode 0770)') }));
    expect(() => preparePrivateDir(fresh(0o702), false)).toThrow(/\(mode 0702\)/);
    expect(() => preparePrivateDir(fresh(0o1757), false)).toThrow(/\(mode 01757\)/); // sticky is not enough for the per-user directory
    expect(() => preparePrivateDir(fresh(0o755), false)).not.toThrow();
    const created = join(root, 'created');
    preparePrivateDir(created, true);
    expect(statSync(created).mode & 0o7777).toBe(0o700);
    preparePrivateDir(created, true); // exists already: fine
  });

  it('preparePrivateDir: a directory it cannot create, and one of another user', () => {
    const parentMissing = join(root, 'no-parent', 'cancelable-x');
    expect(() => preparePrivateDir(parentMissing, true)).toThrow(
      expect.objectContaining({ code: 'ENOENT', message: expect.stringMatching(/^cannot use .* for a control socket: ENOENT/) }),
    );
    const nobody = otherUser();
    if (nobody === undefined) return;
    const theirs = fresh();
    chownSync(theirs, nobody.uid, nobody.gid);
    expect(() => preparePrivateDir(theirs, false)).toThrow(
      expect.objectContaining({ code: 'EACCES', message: expect.stringContaining(`it belongs to uid ${nobody.uid}, not to this user (uid ${process.getuid!()})`) }),
    );
    expect(() => checkSocketParent(join(theirs, 's.sock'))).toThrow(/it belongs to uid/);
  });

  // Without a passwd entry: root may chown to any uid, so this runs wherever the tests run as root.
  it.skipIf(process.getuid?.() !== 0)("another uid's directory is refused, as the per-user one and as a socket's parent (chowned to uid 54321)", () => {
    const theirs = fresh();
    chownSync(theirs, 54321, 54321);
    const why = `it belongs to uid 54321, not to this user (uid 0)`;
    expect(() => preparePrivateDir(theirs, false)).toThrow(
      expect.objectContaining({ code: 'EACCES', path: theirs, message: `cannot use ${theirs} for a control socket: ${why}` }),
    );
    expect(() => preparePrivateDir(theirs, true)).toThrow(expect.objectContaining({ code: 'EACCES', message: expect.stringContaining(why) }));
    expect(() => checkSocketParent(join(theirs, 's.sock'))).toThrow(expect.objectContaining({ code: 'EACCES', message: expect.stringContaining(why) }));
    chownSync(theirs, 0, 0);
    expect(() => preparePrivateDir(theirs, false)).not.toThrow();
  });

  it('checkSocketParent: a sticky directory writable by all is fine, a plain one is not; a missing one is left to listen()', () => {
    expect(() => checkSocketParent(join(fresh(0o1777), 's.sock'))).not.toThrow();
    expect(() => checkSocketParent(join(fresh(0o777), 's.sock'))).toThrow(expect.objectContaining({ code: 'EACCES', message: expect.stringContaining('(mode 0777)') }));
    expect(() => checkSocketParent(join(root, 'nowhere', 's.sock'))).not.toThrow();
  });
});
