import {
  AllOfSource,
  Cancelable,
  CancelationToken,
  SignalSource,
  TimeoutSource,
  isCancelationError,
} from 'cancelable-ts';
import type { Step } from '../step.js';
import { explain, ok, say, since } from '../ui.js';
import { performance } from 'node:perf_hooks';

async function outcome(scope: Cancelable, work: (scope: Cancelable) => Promise<void>): Promise<string> {
  try {
    await scope.run(work);
    return 'completed';
  } catch (error) {
    if (!isCancelationError(error)) throw error;
    return `${error.reason}: "${error.message}"`;
  }
}

export const step: Step = {
  title: 'Combined sources',
  pitch: 'A timeout, a token and Ctrl+C on one scope: the first to fire wins and keeps its own reason.',
  async run() {
    const token = new CancelationToken();
    const click = setTimeout(() => void token.cancel('Stopped by the user'), 120);
    let start = performance.now();
    const first = Cancelable.combine([new TimeoutSource(400), token, new SignalSource('SIGINT')], { name: 'robust' });
    ok(`timeout 400 ms + token + SIGINT -> ${await outcome(first, (s) => s.sleep(5_000))} (${since(start)})`);
    clearTimeout(click);

    start = performance.now();
    const a = Cancelable.withTimeout(300);
    const b = Cancelable.withTimeout(90);
    ok(`two timeouts, 300 ms and 90 ms -> ${await outcome(a.combine(b), (s) => s.sleep(5_000))} (${since(start)})`);

    explain('AllOfSource fires once every one of its sources has: here, at least 100 ms AND 3 results.');
    const enough = new CancelationToken();
    let results = 0;
    start = performance.now();
    const search = new Cancelable({ name: 'search', sources: [new AllOfSource([new TimeoutSource(100), enough])] });
    const text = await outcome(search, async (scope) => {
      for (;;) {
        await scope.sleep(15);
        results++;
        if (results === 3) {
          say(`3 results after ${since(start)}, but the 100 ms minimum is not over yet`);
          enough.cancelSync('Enough results');
        }
      }
    });
    ok(`all-of -> ${text} after ${since(start)} with ${results} results`);
  },
};
