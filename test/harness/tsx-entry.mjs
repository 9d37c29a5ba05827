// Runs a TypeScript file in a worker thread or a child process during tests.
//   new Worker(TSX_ENTRY, { argv: [tsFile], workerData })   (worker thread)
//   fork(TSX_ENTRY, [tsFile, ...args])                       (child process)
// The TS file sees its own path at process.argv[2] and its arguments after it.
//
// Node 20 does not apply module.register()/`--import tsx` hooks to code loaded in a Worker,
// so in a worker thread the file is loaded through tsx's CommonJS hook (ESM syntax and
// `./x.js` -> `./x.ts` imports work; top-level await does not). In a child process tsx's
// ESM + CJS hooks are registered and the file is imported normally.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';

const file = process.argv[2];
if (!file) throw new Error('tsx-entry: missing the TypeScript file to run (argv[2])');
const path = resolve(file);

if (isMainThread) {
  await import('tsx');
  await import(pathToFileURL(path).href);
} else {
  const { register } = await import('tsx/cjs/api');
  register();
  createRequire(import.meta.url)(path);
}
