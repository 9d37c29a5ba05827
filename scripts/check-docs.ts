/**
 * Checks every TypeScript code block of README.md and docs/*.md: each ```ts block is type-checked as
 * a module of its own (strict, like the project), with 'cancelable-ts' and its subpaths
 * resolved to the sources (tsconfig.json's paths), so the docs cannot drift
 * from the API.
 *
 *   npx tsx scripts/check-docs.ts            check all
 *   npx tsx scripts/check-docs.ts docs/a.md  check some files
 *
 * A short snippet may lean on names it does not define: put them in a hidden prelude right before its
 * fence, which is checked with the block but not shown:
 *
 *   <!-- check:prelude
 *   import { Cancelable } from 'cancelable-ts';
 *   declare const scope: Cancelable;
 *   declare function processItem(item: unknown): Promise<void>;
 *   -->
 *
 * A block that truly cannot compile (a bare signature, a library that is not installed) is skipped
 * when the line right before its fence is `<!-- check:skip -->`. Keep those rare. The blocks are
 * checked in memory: nothing is written to disk.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export const root = resolve(import.meta.dirname, '..');

/** One fenced code block of a Markdown file. */
export interface CodeBlock {
  /** The Markdown file, relative to the repository root. */
  file: string;
  /** 1-based line of the first line of code (the line after the opening fence). */
  line: number;
  /** The fence's language tag (`ts`, `typescript`, `sh`...). */
  lang: string;
  code: string;
  /** Marked `<!-- check:skip -->`. */
  skip: boolean;
  /** The hidden `<!-- check:prelude ... -->` right before the fence, if any (checked with the block). */
  prelude?: string;
}

/** A type error in a block, located in the Markdown file. */
export interface DocProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

export interface DocsReport {
  files: string[];
  checked: number;
  skipped: number;
  problems: DocProblem[];
}

const SKIP_MARKER = /^<!--\s*check:skip\b.*-->$/;
const PRELUDE_START = /^<!--\s*check:prelude\b(.*)$/;
const TS_LANGS = new Set(['ts', 'typescript', 'tsx', 'mts']);

/** Extracts the fenced code blocks of a Markdown text (``` and ~~~ fences, any indentation up to 3). */
export function extractBlocks(markdown: string, file = '<markdown>'): CodeBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*([\w+-]*)/.exec(lines[i] ?? '');
    if (open === null) continue;
    const fence = open[1] ?? '```';
    const lang = (open[2] ?? '').toLowerCase();
    let previous = i - 1;
    while (previous >= 0 && (lines[previous] ?? '').trim() === '') previous--;
    const skip = previous >= 0 && SKIP_MARKER.test((lines[previous] ?? '').trim());
    const prelude = previous >= 0 && (lines[previous] ?? '').trim().endsWith('-->') ? preludeEndingAt(lines, previous) : undefined;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const text = lines[j] ?? '';
      if (text.trimStart().startsWith(fence[0]!.repeat(fence.length)) && text.trim().replaceAll(fence[0]!, '') === '') break;
      body.push(text);
    }
    const block: CodeBlock = { file, line: i + 2, lang, code: body.join('\n'), skip };
    if (prelude !== undefined) block.prelude = prelude;
    blocks.push(block);
    i = j;
  }
  return blocks;
}

/** The text of a `<!-- check:prelude ... -->` comment whose last line is `end`, if it is one. */
function preludeEndingAt(lines: readonly string[], end: number): string | undefined {
  for (let start = end; start >= 0 && end - start < 200; start--) {
    const match = PRELUDE_START.exec((lines[start] ?? '').trim());
    if (match === null) {
      if (start < end && (lines[start] ?? '').includes('-->')) return undefined; // another comment
      continue;
    }
    const text = [match[1] ?? '', ...lines.slice(start + 1, end + 1)].join('\n');
    return text.slice(0, text.lastIndexOf('-->')).trim();
  }
  return undefined;
}

/** README.md and every docs/*.md (the generated API reference in docs/api is not Markdown). */
export function docFiles(): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

function compilerOptions(): ts.CompilerOptions {
  const configPath = join(root, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  if (config.error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  return {
    ...parsed.options,
    noEmit: true,
    // Snippets declare things to show them; unused names are fine in docs.
    noUnusedLocals: false,
    noUnusedParameters: false,
  };
}

/** Type-checks the TypeScript blocks of `files` (default: all docs) and reports problems by Markdown line. */
export function checkDocs(files: string[] = docFiles()): DocsReport {
  const virtual = new Map<string, CodeBlock>();
  let skipped = 0;
  for (const file of files) {
    const blocks = extractBlocks(readFileSync(resolve(root, file), 'utf8'), file);
    for (const block of blocks) {
      if (!TS_LANGS.has(block.lang)) continue;
      if (block.skip) {
        skipped++;
        continue;
      }
      // A virtual module next to the sources, so imports of dev dependencies resolve as in the repo.
      const name = `${basename(file, '.md')}-L${block.line}`.replace(/[^\w.-]/g, '_');
      virtual.set(join(root, '.docs-check', `${name}.ts`), block);
    }
  }

  const options = compilerOptions();
  const host = ts.createCompilerHost(options, true);
  // The prelude goes after the code (imports and declarations are hoisted), so the block's line
  // numbers stay its own.
  const moduleText = (block: CodeBlock): string =>
    `${block.code}\n${block.prelude === undefined ? '' : `${block.prelude}\n`}export {};\n`;
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (path) => virtual.has(path) || fileExists(path);
  host.readFile = (path) => {
    const block = virtual.get(path);
    return block !== undefined ? moduleText(block) : readFile(path);
  };
  host.getSourceFile = (path, languageVersion, onError, shouldCreate) => {
    const block = virtual.get(path);
    if (block !== undefined) return ts.createSourceFile(path, moduleText(block), languageVersion, true);
    return getSourceFile(path, languageVersion, onError, shouldCreate);
  };

  const program = ts.createProgram([...virtual.keys()], options, host);
  const problems: DocProblem[] = [];
  for (const [path, block] of virtual) {
    const source = program.getSourceFile(path);
    if (source === undefined) continue;
    const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
    for (const diagnostic of diagnostics) {
      const { line, character } = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      const inPrelude = line >= block.code.split('\n').length;
      const message = `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
      problems.push({
        file: block.file,
        // An error in the prelude is reported on the fence line, right after the comment.
        line: inPrelude ? block.line - 1 : block.line + line,
        column: inPrelude ? 1 : character + 1,
        message: inPrelude ? `${message} (in the check:prelude)` : message,
      });
    }
  }
  return { files, checked: virtual.size, skipped, problems };
}

/** `file:line:column - message` lines, for humans and editors. */
export function formatProblems(problems: readonly DocProblem[]): string {
  return problems.map((p) => `${p.file}:${p.line}:${p.column} - ${p.message}`).join('\n');
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const args = process.argv.slice(2).map((file) => relative(root, resolve(file)));
  const report = checkDocs(args.length > 0 ? args : undefined);
  if (report.problems.length > 0) console.error(formatProblems(report.problems));
  console.log(
    `check-docs: ${report.checked} TypeScript blocks in ${report.files.length} files type-checked, ` +
      `${report.skipped} skipped, ${report.problems.length} problems`,
  );
  process.exitCode = report.problems.length > 0 ? 1 : 0;
}
