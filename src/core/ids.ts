import { randomUUID } from 'node:crypto';

/**
 * A new operation or token id: a random UUID. Random from the first character, so the short ids the
 * CLI shows (and matches by prefix) tell operations apart; Node serves them from a cached entropy pool.
 */
export function nextId(): string {
  return randomUUID();
}
