// Instructions and simulated cache misses per scope lifecycle, under valgrind's callgrind: what the
// wall-clock ratios of the lifecycle figure cannot say (bench/NOTES.md, "Where the time over the floor
// goes"). Not part of `npm run bench` (it takes minutes): run `node bench/callgrind.mjs` after a build.
//
// Each variant runs in its own process under `valgrind --tool=callgrind --cache-sim=yes` twice, with two
// loop lengths after the same warm-up; the difference divided by the extra iterations is the cost of one
// iteration in steady state (start-up, compilation and the warm-up cancel out). `--single-threaded`
// keeps V8's compiler and GC on the main thread, so the counts repeat from run to run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The variants, in the order of the table (the child maps each name to its function). */
const names = [
  'bare try/finally',
  'structural floor',
  'Cancelable.run()',
  'AbortController + listener',
  'setTimeout + clearTimeout, no other timer',
  'floor + timeout entry',
  'withTimeout(60s).run()',
];
const self = fileURLToPath(import.meta.url);
const variantArg = process.argv.find((arg) => arg.startsWith('--variant='));

if (variantArg !== undefined) {
  // A child: warm up, then run the variant `--n` more times.
  const { Cancelable } = await import('cancelable-ts');
  const { anchors, structuralFloor } = await import('./baselines.mjs');
  const body = async () => 1;
  await new Cancelable().run(body); // the library's AsyncLocalStorage turns the hooks on first
  const anchor = anchors(body);
  const floor = structuralFloor(body);
  const variants = {
    'bare try/finally': anchor.tryFinally,
    'structural floor': floor.run,
    'Cancelable.run()': () => new Cancelable().run(body),
    'AbortController + listener': anchor.abortController,
    'setTimeout + clearTimeout, no other timer': anchor.setTimeout,
    'floor + timeout entry': floor.runWithTimeout,
    'withTimeout(60s).run()': () => Cancelable.withTimeout(60_000).run(body),
  };
  const fn = variants[variantArg.slice('--variant='.length)];
  if (fn === undefined || Object.keys(variants).length !== names.length) throw new Error(`unknown variant: ${variantArg}`);
  const n = Number(process.argv.find((arg) => arg.startsWith('--n='))?.slice('--n='.length));
  for (let i = 0; i < 60_000; i++) await fn();
  for (let i = 0; i < n; i++) await fn();
} else {
  const root = path.resolve(path.dirname(self), '..');
  if (!existsSync(path.join(root, 'dist', 'index.js'))) {
    console.error('bench/callgrind.mjs: build first (npm run build)');
    process.exit(1);
  }
  const probe = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    console.error('bench/callgrind.mjs: valgrind is not installed (Debian: apt-get install valgrind)');
    process.exit(1);
  }
  const events = ['Ir', 'Dr', 'Dw', 'I1mr', 'D1mr', 'D1mw', 'ILmr', 'DLmr', 'DLmw'];
  /** The event totals of one process running `n` iterations after the warm-up. */
  const collect = (variant, n) => {
    const result = spawnSync(
      'valgrind',
      ['--tool=callgrind', '--cache-sim=yes', '--callgrind-out-file=/dev/null', process.execPath, '--single-threaded', self, `--variant=${variant}`, `--n=${n}`],
      { cwd: root, encoding: 'utf8', maxBuffer: 16 << 20 },
    );
    const line = /Collected : ([\d ]+)/.exec(result.stderr ?? '');
    if (result.status !== 0 || line === null) throw new Error(`callgrind failed for ${variant}:\n${result.stderr}`);
    return line[1].trim().split(/\s+/).map(Number);
  };
  const short = 30_000;
  const long = 90_000;
  console.log('| per iteration | instructions | L1i misses | L1d read misses | L1d write misses |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const name of names) {
    const a = collect(name, short);
    const b = collect(name, long);
    const per = (event) => (b[events.indexOf(event)] - a[events.indexOf(event)]) / (long - short);
    console.log(`| ${name} | ${per('Ir').toFixed(0)} | ${per('I1mr').toFixed(1)} | ${per('D1mr').toFixed(1)} | ${per('D1mw').toFixed(1)} |`);
  }
}
