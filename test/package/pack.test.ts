// What `npm pack` publishes: only dist/, README, LICENSE, CHANGELOG (and package.json); every target
// named in "exports", "typesVersions", "main"/"module"/"types" and "bin" is in the tarball.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../harness/build.js';
import { root } from './dist-graph.js';

interface PackedFile {
  path: string;
  mode: number;
}

let files: PackedFile[];
let unpackedSize: number;

/** Every string leaf of an "exports"-like value. */
function targets(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(targets);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(targets);
  return [];
}

beforeAll(() => {
  ensureBuilt();
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  const report = (JSON.parse(out) as { files: PackedFile[]; unpackedSize: number }[])[0]!;
  files = report.files;
  unpackedSize = report.unpackedSize;
}, 180_000);

describe('npm pack', () => {
  it('ships only dist/, README.md, LICENSE, CHANGELOG.md and package.json', () => {
    const tops = [...new Set(files.map((file) => file.path.split('/')[0]))].sort();
    expect(tops).toEqual(['CHANGELOG.md', 'LICENSE', 'README.md', 'dist', 'package.json']);
    // No stray build by-products.
    expect(files.filter((file) => /\.(ts|tsx|tsbuildinfo|log)$/.test(file.path) && !file.path.endsWith('.d.ts') && !file.path.endsWith('.d.cts'))).toEqual([]);
    console.log(`tarball: ${files.length} files, ${(unpackedSize / 1e6).toFixed(2)} MB unpacked`);
  });

  it('every export, typesVersions, main/module/types and bin target is in the tarball', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
    const packed = new Set(files.map((file) => file.path));
    const named = [
      ...targets(pkg.exports),
      ...targets(pkg.typesVersions),
      ...targets([pkg.main, pkg.module, pkg.types]),
      ...targets(pkg.bin),
    ].map((path) => path.replace(/^\.\//, ''));
    expect(named.length).toBeGreaterThan(40);
    expect(named.filter((path) => !packed.has(path))).toEqual([]);
  });

  it('the bin is executable and starts with a hashbang', () => {
    const bin = files.find((file) => file.path === 'dist/cli/main.cjs');
    expect(bin).toBeDefined();
    expect(bin!.mode & 0o111).not.toBe(0);
    expect(readFileSync(join(root, 'dist/cli/main.cjs'), 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
  });
});
