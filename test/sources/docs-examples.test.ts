/**
 * Runs every TypeScript example of docs/sources.md as a real program (with `cancelable` mapped to
 * this checkout's sources) and checks what it prints.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const INDEX = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
const PROCESS = fileURLToPath(new URL('../../src/processes/index.ts', import.meta.url));

/** What each example (in page order) must print. */
const EXPECTED: string[][] = [
  ['Operation timed out after 500ms'],
  ['running...', 'shutting down gracefully...', 'shutdown complete', 'Received signal SIGINT'],
  ["Condition 'stopRequested' met after", 'no STOP file: completed'],
  [], // resources: completes or stops depending on the machine
  ['All 2 sources have triggered'],
  ["Event 'abort' was emitted", '0'],
  ['User pressed stop'],
];

let dir = '';
let examples: string[] = [];

beforeAll(async () => {
  const page = await readFile(join(ROOT, 'docs/sources.md'), 'utf8');
  examples = [...page.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) =>
    m[1]!.replaceAll("from 'cancelable-ts'", `from '${INDEX}'`).replaceAll("from 'cancelable-ts/process'", `from '${PROCESS}'`),
  );
  dir = await mkdtemp(join(tmpdir(), 'cancelable-docs-'));
});

afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('docs/sources.md examples', () => {
  it('has the examples this test knows about', () => {
    expect(examples).toHaveLength(EXPECTED.length);
  });

  for (let i = 0; i < EXPECTED.length; i++) {
    it(`example ${i + 1} runs and prints what the page says`, async () => {
      const file = join(dir, `example-${i + 1}.mts`);
      await writeFile(file, examples[i]!);
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, timeout: 15_000 });
      expect(stderr).toBe('');
      for (const text of EXPECTED[i]!) expect(stdout).toContain(text);
      if (i === 3) expect(stdout).toMatch(/import finished|stopped: .* reached the \d+% threshold/);
    });
  }
});
