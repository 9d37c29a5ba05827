/**
 * Reading the built package without running it: the files an entry of dist/ loads through static
 * imports (and `require`s), and the modules outside the package they name. Used by the package tests
 * to check which Node built-ins each entry loads, and that the browser build holds no stub of one.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '../..');

// Statement-level only (a message such as "import it from 'cancelable-ts'" is not an import).
const staticPattern = /(?:^|\n)\s*(?:import|export)\s*(?:[^;'"`]*?\s*from\s*)?["']([^"']+)["']|\brequire\(["']([^"']+)["']\)/g;
// `import()` in ESM; what esbuild makes of it in CommonJS: `Promise.resolve().then(() => ...require("x"))`.
// Lazy loads are left out of the graph: they run on use, not at import.
const lazyPattern = /\bimport\(\s*["']([^"']+)["']\s*\)|Promise\.resolve\(\)\.then\(\(\) => [\w$]*\(?require\(["']([^"']+)["']\)\)?/g;

/** What `entry` (a path under dist/) loads at import: its files, and the specifiers outside the package. */
export function staticGraph(entry: string): { files: string[]; external: string[] } {
  const files = new Set([join(root, 'dist', entry)]);
  const external = new Set<string>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8').replace(lazyPattern, '');
    for (const match of text.matchAll(staticPattern)) {
      const specifier = (match[1] ?? match[2]) as string;
      if (specifier.startsWith('.')) files.add(join(dirname(file), specifier));
      else external.add(specifier);
    }
  }
  return { files: [...files], external: [...external].sort() };
}

/**
 * Until helper "control"'s change lands, `OperationRegistry` imports the control socket server
 * statically (registry -> processes/control-server.ts), which loads node:fs, node:net, node:os and
 * node:path with the main entry. Issue 14 asks that `registry.listen()` load that code on first use.
 * The tests tolerate exactly this while the static import is in the source, and no longer once it
 * is gone, so they tighten on their own at merge.
 */
export const controlServerLoadedEagerly = /^import\s+\{[^}]*\bserveRegistry\b[^}]*\}\s+from\s+'\.\.\/processes\/control-server\.js'/m.test(
  readFileSync(join(root, 'src/registry/operation-registry.ts'), 'utf8'),
);

/** The built-ins the eager control server loads (see {@link controlServerLoadedEagerly}). */
export const controlServerBuiltins = ['node:fs', 'node:fs/promises', 'node:net', 'node:os', 'node:path'];
