/**
 * `ensureBuilt()`: builds dist/ (npx tsup) once per process when it is missing or older than src/.
 * Tests whose fixtures import the package by its own name ('cancelable-ts', 'cancelable-ts/worker'...)
 * call it in `beforeAll`. Several test processes may call it at once: a lock directory makes one of
 * them build while the others wait.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
let done = false;

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function isStale(): boolean {
  try {
    return statSync(join(root, 'dist/index.js')).mtimeMs < newestMtime(join(root, 'src'));
  } catch {
    return true;
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function ensureBuilt(): void {
  if (done) return;
  const lock = join(root, 'node_modules/.cancelable-build.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (!isStale()) break;
    try {
      mkdirSync(lock);
    } catch {
      if (Date.now() > deadline) throw new Error(`ensureBuilt: ${lock} held for 2 minutes; remove it if no build runs`);
      sleep(200); // another process is building
      continue;
    }
    try {
      if (isStale()) execFileSync('npx', ['tsup'], { cwd: root, stdio: 'pipe' });
    } finally {
      rmdirSync(lock);
    }
    break;
  }
  done = true;
}
