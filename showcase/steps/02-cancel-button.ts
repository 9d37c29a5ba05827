import { Cancelable, CancelationToken, ManualCancelation } from 'cancelable-ts';
import type { Step } from '../step.js';
import { ProgressBar, fractionOf, ok, say } from '../ui.js';

export const step: Step = {
  title: 'A token cancelled by a "cancel button"',
  pitch: 'Hand a CancelationToken to the UI; clicking cancel stops the job wherever it is awaiting.',
  async run() {
    const token = new CancelationToken();
    // The "button": a user who loses patience after 450 ms.
    const click = setTimeout(() => {
      say('[user clicks "Cancel"]');
      void token.cancel('User clicked cancel');
    }, 450);

    const bar = new ProgressBar('export', 24);
    const job = Cancelable.withToken(token, { name: 'export-job' }).onProgress((_id, message, metadata) =>
      bar.update(fractionOf(metadata) ?? 0, message),
    );
    try {
      await job.run(async (scope) => {
        const total = 20;
        for (let done = 1; done <= total; done++) {
          await scope.sleep(40); // one slice of work
          scope.reportProgress(`page ${done}/${total}`, { done, total });
        }
      });
    } catch (error) {
      if (!(error instanceof ManualCancelation)) throw error;
    } finally {
      bar.done();
      clearTimeout(click);
    }
    const context = job.context;
    ok(`status ${context.status}, reason ${context.cancelReason}, message "${context.cancelMessage}"`);
    ok(`last progress: ${context.progress?.message ?? 'none'}`);
  },
};
