/**
 * Every TypeScript block of README.md and docs/*.md type-checks against the sources
 * (scripts/check-docs.ts), and the checker itself finds blocks, skips marked ones and reports errors
 * at the right Markdown line.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { checkDocs, docFiles, extractBlocks, formatProblems, root, type DocsReport } from '../../scripts/check-docs.js';

const dir = mkdtempSync(join(tmpdir(), 'cancelable-docs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('extractBlocks', () => {
  test('finds fenced blocks with their language, first code line and skip marker', () => {
    const markdown = [
      '# Title', // 1
      '```ts', // 2
      'const a = 1;', // 3
      '```', // 4
      '<!-- check:skip -->', // 5
      '', // 6
      '```typescript', // 7
      'declare function f(): void', // 8
      '```', // 9
      '~~~sh', // 10
      'npm test', // 11
      '~~~', // 12
    ].join('\n');
    expect(extractBlocks(markdown, 'x.md')).toEqual([
      { file: 'x.md', line: 3, lang: 'ts', code: 'const a = 1;', skip: false },
      { file: 'x.md', line: 8, lang: 'typescript', code: 'declare function f(): void', skip: true },
      { file: 'x.md', line: 11, lang: 'sh', code: 'npm test', skip: false },
    ]);
  });

  test('a longer fence holds a shorter one', () => {
    const blocks = extractBlocks(['````md', '```ts', 'x', '```', '````'].join('\n'));
    expect(blocks).toHaveLength(1);
    expect(blocks[0]!.code).toBe('```ts\nx\n```');
  });
});

test('a wrong block is reported at its Markdown line', () => {
  const file = join(dir, 'bad.md');
  writeFileSync(
    file,
    ['# Bad', '', '```ts', "import { Cancelable } from 'cancelable-ts';", "const n: number = 'x';", 'Cancelable.nope();', '```', ''].join('\n'),
  );
  const report = checkDocs([file]);
  expect(report.checked).toBe(1);
  expect(report.problems.map((p) => [p.line, p.message.slice(0, 6)])).toEqual([
    [5, 'TS2322'],
    [6, 'TS2339'],
  ]);
});

test('a hidden prelude is checked with its block, and its own errors point at it', () => {
  const file = join(dir, 'prelude.md');
  const lines = [
    '# Prelude', // 1
    '<!-- check:prelude', // 2
    "import { Cancelable } from 'cancelable-ts';", // 3
    'declare const scope: Cancelable;', // 4
    '-->', // 5
    '```ts', // 6
    "scope.cancel('stop');", // 7
    "const n: number = 'x';", // 8
    '```', // 9
    '<!-- check:prelude', // 10
    'declare const broken: NotAType;', // 11
    '-->', // 12
    '```ts', // 13
    'console.log(broken);', // 14
    '```', // 15
    '<!-- just a comment -->', // 16
    '```ts', // 17
    'scope.cancel();', // 18
    '```', // 19
  ];
  writeFileSync(file, lines.join('\n'));
  const blocks = extractBlocks(lines.join('\n'));
  expect(blocks[0]!.prelude).toBe("import { Cancelable } from 'cancelable-ts';\ndeclare const scope: Cancelable;");
  expect(blocks[2]!.prelude).toBeUndefined();
  const problems = checkDocs([file]).problems.map((p) => `${p.line}:${p.message.slice(0, 6)}`);
  expect(problems).toEqual(['8:TS2322', '13:TS2304', '18:TS2304']);
});

test('README.md and docs/*.md are all checked', () => {
  const files = docFiles();
  expect(files[0]).toBe('README.md');
  expect(files).toContain('docs/getting-started.md');
});

describe('every TypeScript block of the docs type-checks', () => {
  // One program for all the docs (fast); one test per file (clear ownership of failures).
  let report: DocsReport | undefined;
  const reportOf = (): DocsReport => (report ??= checkDocs());
  for (const file of docFiles()) {
    test(file, () => {
      const problems = reportOf().problems.filter((p) => p.file === file);
      expect(formatProblems(problems)).toBe('');
    }, 120_000);
  }
});

describe('relative links of the docs point at existing files', () => {
  for (const file of docFiles()) {
    test(file, () => {
      const text = readFileSync(join(root, file), 'utf8').replace(/```[\s\S]*?```/g, '');
      const broken = [...text.matchAll(/\]\(([^)\s]+)\)/g)]
        .map((m) => m[1]!)
        .filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'))
        .filter((target) => !existsSync(join(root, dirname(file), target.split('#')[0]!)));
      expect(broken).toEqual([]);
    });
  }
});
