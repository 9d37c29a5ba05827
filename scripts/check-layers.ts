/**
 * The layers of src/ (SPEC §1.5): arrows only point down, and the runtime import graph has no cycle.
 * `npx tsx scripts/check-layers.ts` prints the problems (exit code 1 when there are any); the test
 * suite runs it (test/package/layers.test.ts).
 *
 * Layers, bottom up (a folder may import its own layer and those below):
 *   0  core/                       the kernel
 *   1  sources/ streams/           built on core only
 *   2  cancelable.ts               the user-facing class
 *   3  wrappers/ registry/ testing/ index.ts
 *   4  threads/ processes/ control/ cli/ and the integrations (http, redis, otel, dashboard...)
 * Type-only imports (`import type`) carry no code: they count for layers, not for cycles.
 * A dynamic `import()` loads its target only when the feature is used: it is no part of the static
 * graph (no cycle), and may point up only when listed in LAZY_UPWARD with the reason.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

const LAYERS: Record<string, number> = {
  core: 0,
  sources: 1,
  streams: 1,
  'cancelable.ts': 2,
  wrappers: 3,
  registry: 3,
  testing: 3,
  'index.ts': 3,
};
const TOP = 4;

/** The upward `import()`s allowed, `from -> to` (src-relative), each with why it may not point down. */
const LAZY_UPWARD: Record<string, string> = {
  // registry.listen() is the documented way to serve a registry; the control endpoint (node:net,
  // node:fs) is loaded on the first call only, so importing the registry loads none of it.
  'registry/listen.ts -> control/server.ts': 'registry.listen() loads the control endpoint on first use',
};

/** One import edge of the graph. */
export interface ImportEdge {
  from: string;
  to: string;
  typeOnly: boolean;
  /** A dynamic `import()`: loaded on use, not when the importer loads. */
  lazy: boolean;
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

const importPattern =
  /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

/** Every relative import in src/, resolved to src-relative paths. */
export function importEdges(): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of files(src)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(importPattern)) {
      const specifier = match[3] ?? match[4];
      if (specifier === undefined) continue;
      const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
      edges.push({ from: relative(src, file), to: relative(src, target), typeOnly: match[2] !== undefined, lazy: match[4] !== undefined });
    }
  }
  return edges;
}

/** The layer of a src-relative path. */
export function layerOf(path: string): number {
  const head = path.split('/')[0] as string;
  return LAYERS[head] ?? TOP;
}

/** Imports that point up a layer, or out of core/. */
export function upwardImports(edges: ImportEdge[]): ImportEdge[] {
  return edges.filter((edge) => {
    if (edge.lazy && LAZY_UPWARD[`${edge.from} -> ${edge.to}`] !== undefined) return false;
    if (edge.from.startsWith('core/')) return !edge.to.startsWith('core/');
    return layerOf(edge.to) > layerOf(edge.from);
  });
}

/** The cycles of the runtime graph (type-only edges left out), each as a list of files. */
export function runtimeCycles(edges: ImportEdge[]): string[][] {
  const graph = new Map<string, string[]>();
  for (const edge of edges) {
    if (edge.typeOnly || edge.lazy) continue;
    const list = graph.get(edge.from) ?? [];
    list.push(edge.to);
    graph.set(edge.from, list);
  }
  const cycles: string[][] = [];
  const state = new Map<string, 1 | 2>(); // 1: on the stack, 2: done
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 1);
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const seen = state.get(next);
      if (seen === 1) cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (seen === undefined) visit(next);
    }
    stack.pop();
    state.set(node, 2);
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

/** Files of core/ longer than `max` lines. */
export function longCoreFiles(max = 400): { file: string; lines: number }[] {
  return files(join(src, 'core'))
    .map((file) => ({ file: relative(src, file), lines: readFileSync(file, 'utf8').split('\n').length - 1 }))
    .filter((entry) => entry.lines > max);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const edges = importEdges();
  const problems = [
    ...upwardImports(edges).map((edge) => `upward import: ${edge.from} -> ${edge.to}`),
    ...runtimeCycles(edges).map((cycle) => `cycle: ${cycle.join(' -> ')}`),
    ...longCoreFiles().map((entry) => `core file over 400 lines: ${entry.file} (${entry.lines})`),
  ];
  for (const problem of problems) console.log(problem);
  console.log(problems.length === 0 ? `layers hold: ${edges.length} imports, no upward import, no cycle` : `${problems.length} problems`);
  process.exitCode = problems.length === 0 ? 0 : 1;
}
