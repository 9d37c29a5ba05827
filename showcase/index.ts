/**
 * `npm run showcase`: a guided tour of cancelable, offline, on in-process defaults, in well under a
 * minute. Each step is one module in ./steps; they run one after the other and print what happens.
 *
 *   npm run showcase              all steps
 *   npm run showcase -- 3 llm     only the steps whose number or file name matches
 */
import { performance } from 'node:perf_hooks';
import type { Step } from './step.js';
import { bad, bold, dim, explain, heading, since, yellow } from './ui.js';

const STEPS = [
  '01-timeout',
  '02-cancel-button',
  '03-ctrl-c',
  '04-condition',
  '05-combined',
  '06-hierarchy',
  '07-shield',
  '08-stream-from-worker',
  '09-chunked',
  '10-registry',
  '11-process',
  '12-llm',
  '13-http',
  '14-across-machines',
  '15-dashboard',
] as const;

/** An error that means "this part of the library is not built yet", not "the step is wrong". */
function isMissingFeature(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /not implemented yet|does not provide an export named|is not a (function|constructor)/.test(message);
}

async function main(): Promise<void> {
  const filters = process.argv.slice(2);
  const selected = STEPS.filter(
    (name, i) => filters.length === 0 || filters.some((f) => String(i + 1) === f || name.includes(f)),
  );
  console.log(bold('cancelable — a tour of structured cancellation for Node.js'));
  console.log(dim(`Node ${process.version}, ${selected.length} step${selected.length === 1 ? '' : 's'}, no network, default settings.`));
  const tourStart = performance.now();
  const failed: string[] = [];
  const waiting: string[] = [];

  for (const [i, name] of selected.entries()) {
    let step: Step;
    const start = performance.now();
    try {
      ({ step } = (await import(`./steps/${name}.js`)) as { step: Step });
    } catch (error) {
      heading(i + 1, selected.length, name);
      if (!isMissingFeature(error)) throw error;
      console.log(`  ${yellow('…')} not available in this build: ${(error as Error).message}`);
      waiting.push(name);
      continue;
    }
    heading(i + 1, selected.length, step.title);
    explain(step.pitch);
    try {
      await step.run();
      console.log(dim(`  (${since(start)})`));
    } catch (error) {
      if (isMissingFeature(error)) {
        console.log(`  ${yellow('…')} not available in this build: ${(error as Error).message}`);
        waiting.push(name);
      } else {
        bad(`step failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        failed.push(name);
      }
    }
  }

  console.log('');
  const summary = `${selected.length - failed.length - waiting.length}/${selected.length} steps in ${since(tourStart)}`;
  console.log(bold(failed.length === 0 && waiting.length === 0 ? `Done: ${summary}.` : `Finished: ${summary}.`));
  if (waiting.length > 0) console.log(yellow(`Not available in this build: ${waiting.join(', ')}`));
  if (failed.length > 0) console.log(bold(`Failed: ${failed.join(', ')}`));
  if (failed.length > 0 || waiting.length > 0) process.exitCode = 1;
  console.log(dim('Next: the examples (npx tsx examples/01-basic.ts), the docs (docs/README.md).'));
}

await main();
