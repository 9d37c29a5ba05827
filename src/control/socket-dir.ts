/**
 * Who may touch a control socket's directory. A socket is only as private as its directory: anyone
 * who can write there can take the path first (listen fails) or, without the sticky bit, replace a
 * live socket with their own (clients then talk to them). So sockets go in a directory owned by this
 * user that nobody else can write to, and the per-user default one is created 0700.
 */
import { lstatSync, mkdirSync, statSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';

const isWindows = process.platform === 'win32';

/** A directory refused for a socket (`code` EACCES, ENOENT or ENOTDIR), with the reason. */
function refuse(code: string, dir: string, why: string): Error {
  return Object.assign(new Error(`cannot use ${dir} for a control socket: ${why}`), { code, path: dir });
}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}

/** The caller's uid (undefined where there are none). */
export function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/**
 * Makes sure `dir` can hold this user's default sockets: it is a directory (not a symlink) owned by
 * this user, and no one else can write to it. `create`: make it (0700) when missing — only for the
 * per-user directory under the temp dir, whose parent is shared.
 */
export function preparePrivateDir(dir: string, create: boolean): void {
  if (isWindows) return;
  let stat = lstatSync(dir, { throwIfNoEntry: false });
  if (stat === undefined && create) {
    try {
      // mode 0700 whatever the umask (a umask only removes bits); never changes the process umask.
      mkdirSync(dir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw refuse((error as NodeJS.ErrnoException).code ?? 'EACCES', dir, (error as Error).message);
    }
    stat = lstatSync(dir, { throwIfNoEntry: false });
  }
  if (stat === undefined) throw refuse('ENOENT', dir, 'it does not exist');
  // A user-chosen directory may be reached through a symlink (macOS /tmp); the one we create may not.
  if (stat.isSymbolicLink() && !create) stat = statSync(dir);
  if (!stat.isDirectory()) throw refuse('ENOTDIR', dir, stat.isSymbolicLink() ? 'it is a symbolic link' : 'it is not a directory');
  checkOwnedAndClosed(dir, stat, false);
}

/**
 * Checks the directory of an explicitly named socket path: owned by this user or by root, and not
 * writable by others unless sticky (as /tmp is: there nobody can replace another user's file).
 */
export function checkSocketParent(path: string): void {
  if (isWindows) return;
  const dir = dirname(resolve(path));
  const stat = statSync(dir, { throwIfNoEntry: false });
  if (stat === undefined) return; // listen() reports the missing directory
  checkOwnedAndClosed(dir, stat, true);
}

function checkOwnedAndClosed(dir: string, stat: Stats, allowRootAndSticky: boolean): void {
  const uid = currentUid();
  if (uid === undefined) return;
  if (stat.uid !== uid && !(allowRootAndSticky && stat.uid === 0)) {
    throw refuse('EACCES', dir, `it belongs to uid ${stat.uid}, not to this user (uid ${uid})`);
  }
  const sticky = (stat.mode & 0o1000) !== 0;
  if ((stat.mode & 0o022) !== 0 && !(allowRootAndSticky && sticky)) {
    throw refuse('EACCES', dir, `other users can write to it (mode ${octal(stat.mode)}); use a directory only you can write to`);
  }
}

/** Whether `dir` is the per-user directory under the temp dir (the one `listen()` may create). */
export function isPerUserTempDir(dir: string): boolean {
  return dirname(resolve(dir)) === resolve(tmpdir()) && /^cancelable-[\w.-]+$/.test(resolve(dir).slice(resolve(tmpdir()).length + 1));
}
