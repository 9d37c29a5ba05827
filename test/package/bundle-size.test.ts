// SPEC §9 sizes: what an app pays for one import from the main entry, bundled for the browser the
// way an app would (esbuild, the package's own "exports" with the `browser` condition, minified,
// gzip level 9). The figures are printed; docs/runtimes.md records them.
import { gzipSync } from 'node:zlib';
import { build, stop } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../harness/build.js';
import { root } from './dist-graph.js';

/** Minified and gzipped bytes of an app that imports `names` from `specifier` and uses them. */
async function bundleSize(names: string[], specifier = 'cancelable-ts'): Promise<{ minified: number; gzip: number; inputs: string[] }> {
  const result = await build({
    stdin: {
      contents: `import { ${names.join(', ')} } from '${specifier}';\nglobalThis.used = [${names.join(', ')}];\n`,
      resolveDir: root,
      sourcefile: 'app.js',
    },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    // The repository's tsconfig maps 'cancelable-ts' to src/: resolve it as a user would, from dist/.
    tsconfigRaw: {},
  });
  const code = result.outputFiles[0]!.contents;
  // The modules that put code in the bundle (metafile.inputs also lists those tree-shaken away).
  const output = Object.values(result.metafile.outputs)[0]!;
  const inputs = Object.entries(output.inputs).filter(([, input]) => input.bytesInOutput > 0).map(([path]) => path);
  return { minified: code.length, gzip: gzipSync(code, { level: 9 }).length, inputs };
}

describe('bundle size of the main entry (browser, esbuild --minify, gzip)', () => {
  beforeAll(() => {
    ensureBuilt();
  }, 180_000);

  afterAll(async () => {
    await stop(); // esbuild's service process
  });

  it('isCancelation alone is under 1 kB gzip (SPEC §9) and pulls no scope code', async () => {
    const size = await bundleSize(['isCancelation']);
    console.log(`isCancelation: ${size.minified} B minified, ${size.gzip} B gzip`);
    expect(size.gzip).toBeLessThan(1000);
    expect(size.inputs.some((input) => input.includes('/scope/'))).toBe(false);
  });

  it('withTimeout bundles from the browser build, with no Node built-in and no Node-only feature', async () => {
    const size = await bundleSize(['withTimeout']);
    console.log(`withTimeout: ${size.minified} B minified, ${size.gzip} B gzip`);
    expect(size.inputs.every((input) => input === 'app.js' || input === '<stdin>' || input.startsWith('dist/browser/'))).toBe(true);
    expect(size.inputs.filter((input) => /threads|processes\/(spawn|fork)|node-builtin-stub/.test(input))).toEqual([]);
    // SPEC §9 asks for under 10 kB gzip: missed (docs/benchmarks.md shows the breakdown). Measured:
    // 16.4 kB (the inline waiter set added 0.1 kB for 113 B less per waiting scope); the kernel alone
    // (CancelScope + TimeoutSource, with the shared deadline queue) is 12.1 kB, 10.3 kB with every string
    // literal stripped, and `Cancelable` adds streams and the signal/condition sources, which its methods reference. This
    // is a ratchet on the measured figure: it fails if the figure grows; lower it as the kernel shrinks.
    expect(size.gzip).toBeLessThan(16_500);
  });

  it('the error classes alone stay small (a catch block that tests instanceof)', async () => {
    const size = await bundleSize(['TimeoutCancelation', 'isCancelation']);
    console.log(`TimeoutCancelation + isCancelation: ${size.minified} B minified, ${size.gzip} B gzip`);
    expect(size.gzip).toBeLessThan(1600);
  });
});
