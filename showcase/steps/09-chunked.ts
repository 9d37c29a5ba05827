import { Cancelable, TimeoutCancelation, chunkedCancelableStream } from 'cancelable-ts';
import type { Step } from '../step.js';
import { ProgressBar, fractionOf, ok } from '../ui.js';

const TOTAL = 400;

/** Rows of a table export, arriving one by one. */
async function* rows(): AsyncGenerator<{ id: number }> {
  for (let id = 1; id <= TOTAL; id++) {
    if (id % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 8));
    yield { id };
  }
}

export const step: Step = {
  title: 'Chunked processing',
  pitch: 'Batch a stream (bulk inserts, batched API calls); cancellation is checked between chunks.',
  async run() {
    const bar = new ProgressBar('bulk insert', 24);
    let inserted = 0;
    const scope = Cancelable.withTimeout(250, { name: 'bulk-insert' }).onProgress((_id, message, metadata) =>
      bar.update(fractionOf(metadata) ?? 0, message),
    );
    try {
      await scope.run(async (scope) => {
        for await (const chunk of chunkedCancelableStream(rows(), scope, { chunkSize: 50 })) {
          await scope.sleep(15); // INSERT ... VALUES (50 rows)
          inserted += chunk.length;
          scope.reportProgress(`${inserted}/${TOTAL} rows`, { done: inserted, total: TOTAL });
        }
      });
      ok(`all ${inserted} rows inserted`);
    } catch (error) {
      if (!(error instanceof TimeoutCancelation)) throw error;
      bar.done();
      ok(`timeout after ${inserted}/${TOTAL} rows, in whole chunks of 50: nothing half-written`);
    } finally {
      bar.done();
    }
  },
};
