/**
 * ManualClock drives condition polling and chunk flushing too (both take their timers from the
 * scope's clock), and a whole stream pipeline runs instantly on it.
 */
import { describe, expect, it } from 'vitest';
import { Cancelable, ConditionCancelation, ConditionSource, chunkedCancelableStream } from '../../src/index.js';
import { ManualClock, createSlowStream, simulateStream } from '../../src/testing/index.js';

describe('ManualClock drives polling and streams', () => {
  it('condition polling: the first check at start, then one per interval of manual time', async () => {
    const clock = new ManualClock();
    let checks = 0;
    let stop = false;
    const scope = Cancelable.withCondition(
      () => {
        checks++;
        return stop;
      },
      1_000,
      { clock, conditionName: 'stop flag' },
    );
    const run = scope.run((s) => s.sleep(1_000_000)).catch((error: unknown) => error);
    await clock.advance(0);
    expect(checks).toBe(1);
    await clock.advance(4_999);
    expect(checks).toBe(5);
    stop = true;
    await clock.advance(1);
    const error = await run;
    expect(error).toBeInstanceOf(ConditionCancelation);
    expect((error as ConditionCancelation).message).toBe("Condition 'stop flag' met after 6 checks");
    expect(scope.context.durationMs).toBe(5_000);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a ConditionSource combined with a timeout: both on the clock, the first wins', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock, sources: [new ConditionSource(() => clock.now() >= 2_500, 500)] });
    const run = scope.run((s) => s.sleep(10_000)).catch((error: unknown) => error);
    await clock.advance(3_000);
    expect(await run).toBeInstanceOf(ConditionCancelation);
    expect(scope.context.durationMs).toBe(2_500);
  });

  it('chunk flushing: maxWaitMs flushes a partial chunk after that much manual time without items', async () => {
    const clock = new ManualClock();
    const chunks: string[] = [];
    const run = new Cancelable({ clock }).run(async (scope) => {
      // Two items quickly, a long gap, then three more.
      const items = createSlowStream(['a', 'b', 'c', 'd', 'e'], 0, { clock });
      const gappy = (async function* () {
        let i = 0;
        for await (const item of items) {
          if (i++ === 2) await scope.sleep(5_000);
          yield item;
        }
      })();
      for await (const chunk of chunkedCancelableStream(gappy, scope, { chunkSize: 3, maxWaitMs: 1_000 })) {
        chunks.push(`${chunk.join('')}@${clock.now()}`);
      }
    });
    await clock.advance(10_000);
    await run;
    expect(chunks).toEqual(['ab@1000', 'cde@5000']);
  });

  it('an LLM-like stream through scope.stream runs instantly and reproducibly', async () => {
    const text = 'Cancellation in JavaScript is cooperative: hand the signal to everything. '.repeat(4);
    const once = async (): Promise<string[]> => {
      const clock = new ManualClock();
      const run = Cancelable.withTimeout(60_000, { clock }).run(async (scope) => {
        const chunks: string[] = [];
        const model = simulateStream(text, { scope, seed: 'llm', chunkSize: 4, variableChunkSize: true });
        for await (const chunk of scope.stream(model.chunks())) chunks.push(`${chunk}@${clock.now()}`);
        return chunks;
      });
      await clock.runAll();
      return run;
    };
    const first = await once();
    expect(first.map((c) => c.slice(0, c.lastIndexOf('@'))).join('')).toBe(text);
    expect(await once()).toEqual(first);
  });
});
