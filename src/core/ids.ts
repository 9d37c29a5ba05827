import { randomUUID } from './platform.js';

/**
 * A new operation or token id: a random UUID. Random from the first character, so the short ids the
 * CLI shows (and matches by prefix) tell operations apart.
 */
export function nextId(): string {
  return randomUUID();
}
