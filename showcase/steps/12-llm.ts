import { performance } from 'node:perf_hooks';
import { Cancelable, CancelationToken, ManualCancelation } from 'cancelable-ts';
import { simulateStream } from 'cancelable-ts/testing';
import type { Step } from '../step.js';
import { StreamedText, dim, ok, since } from '../ui.js';

const ANSWER =
  'Structured cancellation means every operation has an owner: when the owner stops, the work it ' +
  'started stops too, its cleanup runs, and nothing is left behind. In Node.js that takes more than an ' +
  'AbortSignal, because an await cannot be interrupted; so every await has to be raced against the ' +
  'scope, and every resource has to be released in a finally block.';

export const step: Step = {
  title: 'An LLM-like token stream stopped mid-answer',
  pitch: 'A simulated model streams its answer (jitter, bursts, stalls); the user presses "Stop" halfway.',
  async run() {
    const stop = new CancelationToken();
    const press = setTimeout(() => void stop.cancel('User pressed Stop'), 900);
    const start = performance.now();
    let text = '';
    const scope = Cancelable.withToken(stop, { name: 'chat-answer' });
    const out = new StreamedText();
    try {
      await scope.run(async (scope) => {
        const model = simulateStream(ANSWER, {
          seed: 7,
          chunkSize: 6,
          variableChunkSize: true,
          baseDelayMs: 25,
          jitterMs: 10,
          stallProbability: 0.05,
          stallMs: 150,
        });
        for await (const chunk of scope.stream(model.chunks())) {
          text += chunk;
          out.write(chunk);
        }
      });
      out.end();
      ok('the answer completed before Stop was pressed');
    } catch (error) {
      if (!(error instanceof ManualCancelation)) throw error;
      out.end(dim(' ▌[stopped]'));
      ok(`"${error.message}" after ${since(start)}: ${text.length}/${ANSWER.length} characters shown, the stream closed`);
    } finally {
      clearTimeout(press);
    }
  },
};
