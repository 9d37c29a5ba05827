/**
 * 19 — LLM streaming: a simulated model streams its answer (jitter, bursts, stalls); the answer can
 * be paused by the user (a token) or by the model itself (a marker in the text), and resumed from
 * where it stopped. Offline: simulateStream from cancelable-ts/testing stands in for the model.
 * Run: npx tsx examples/19-llm-streaming.ts
 */
import { Cancelable, CancelationToken, ManualCancelation } from 'cancelable-ts';
import { simulateStream } from 'cancelable-ts/testing';

const ANSWER =
  'Early mechanical computers, such as the difference engine, computed tables by machinery. !!CANCEL ' +
  'Then came the digital revolution: Turing described what can be computed, von Neumann how to build it. ' +
  'Mainframes, personal computers and the internet followed, each one putting computing closer to people.';

const MARKER = '!!CANCEL';

interface Turn {
  text: string;
  complete: boolean;
  pausedBy?: 'user' | 'llm';
}

/** Streams the answer from `offset`, until the end or a pause. */
async function streamAnswer(offset: number, userStopAfterMs?: number): Promise<Turn> {
  const token = new CancelationToken();
  const userStop = userStopAfterMs === undefined ? undefined : setTimeout(() => void token.cancel('User paused'), userStopAfterMs);
  let text = '';
  let shown = 0; // characters of `text` written to the terminal
  try {
    await Cancelable.withToken(token, { name: 'llm-answer' }).run(async (scope) => {
      const model = simulateStream(ANSWER.slice(offset), { seed: 3, chunkSize: 5, variableChunkSize: true, baseDelayMs: 12 });
      for await (const chunk of scope.stream(model.chunks())) {
        text += chunk;
        const marker = text.indexOf(MARKER);
        if (marker >= 0) {
          // The model asks for a pause: show what came before the marker, cancel our own token.
          process.stdout.write(text.slice(shown, marker));
          text = text.slice(0, marker + MARKER.length);
          shown = text.length;
          token.cancelSync('LLM initiated pause');
          scope.throwIfCancelled();
        }
        // Hold back a few characters: they may be the start of a marker split across chunks.
        const safe = text.length - (MARKER.length - 1);
        if (safe > shown) {
          process.stdout.write(text.slice(shown, safe));
          shown = safe;
        }
      }
    });
    process.stdout.write(text.slice(shown));
    return { text, complete: true };
  } catch (error) {
    if (!(error instanceof ManualCancelation)) throw error;
    const pausedBy = error.message === 'LLM initiated pause' ? 'llm' : 'user';
    process.stdout.write(text.slice(shown));
    process.stdout.write(`\n[${pausedBy === 'llm' ? 'LLM INITIATED PAUSE' : 'USER PAUSED STREAM'}]\n`);
    return { text, complete: false, pausedBy };
  } finally {
    clearTimeout(userStop);
  }
}

console.log('STREAMING OUTPUT:');
let offset = 0;
let turn = 0;
for (;;) {
  turn++;
  // The user pauses the second turn after 150 ms; the model pauses itself at its marker.
  const result = await streamAnswer(offset, turn === 2 ? 150 : undefined);
  offset += result.text.length;
  if (result.complete) break;
  console.log(`(resuming from character ${offset})`);
}
console.log(`\n[STREAM COMPLETED] ${turn} turns, ${offset}/${ANSWER.length} characters`);
