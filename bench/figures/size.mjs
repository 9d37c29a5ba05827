// Bundle size (SPEC §9): what an application pays to import one name from the main entry, bundled by
// esbuild (minified, browser platform, the package's own export conditions), gzip level 9; beside the
// peers bundled the same way. Node built-ins are left external (a browser build has none to pull).
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { report } from '../lib.mjs';

async function bundledSize(code) {
  const result = await build({
    stdin: { contents: code, resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    external: ['node:*'],
    logLevel: 'silent',
    // The repository's tsconfig maps 'cancelable-ts' to src/ (the Node platform module): resolve the
    // package as an application would, through its exports (the `browser` build), as the size test does.
    tsconfigRaw: {},
  });
  const bytes = result.outputFiles[0].contents;
  return { min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

const cases = [
  ["import { withTimeout } from 'cancelable-ts'", "import { withTimeout } from 'cancelable-ts'; console.log(withTimeout);"],
  ["import { isCancelation } from 'cancelable-ts'", "import { isCancelation } from 'cancelable-ts'; console.log(isCancelation);"],
  ["import { Cancelable } from 'cancelable-ts'", "import { Cancelable } from 'cancelable-ts'; console.log(Cancelable);"],
  ['p-timeout (default export)', "import pTimeout from 'p-timeout'; console.log(pTimeout);"],
  ['abort-controller-x { abortable, delay, spawn }', "import { abortable, delay, spawn } from 'abort-controller-x'; console.log(abortable, delay, spawn);"],
  ['effection { run, sleep, race }', "import { run, sleep, race } from 'effection'; console.log(run, sleep, race);"],
];
const rows = [];
const sizes = new Map();
for (const [name, code] of cases) {
  const size = await bundledSize(code);
  sizes.set(name, size);
  rows.push({ name: `${name}: minified + gzip`, unit: 'B', median: size.gzip, note: `${size.min.toLocaleString('en')} B minified` });
}
const withTimeoutSize = sizes.get("import { withTimeout } from 'cancelable-ts'").gzip;
const isCancelationSize = sizes.get("import { isCancelation } from 'cancelable-ts'").gzip;
report({
  figure: 'Bundle size (esbuild, minified, gzip)',
  rows,
  targets: [
    { target: "import { withTimeout } from 'cancelable-ts' < 10 kB gzip", value: withTimeoutSize / 1000, unit: 'kB', limit: 10, ok: withTimeoutSize < 10_000 },
    { target: "import { isCancelation } from 'cancelable-ts' < 1 kB gzip", value: isCancelationSize / 1000, unit: 'kB', limit: 1, ok: isCancelationSize < 1_000 },
  ],
});
