import type { OperationContext } from '../core/context.js';

/**
 * @internal The newest `capacity` snapshots of ended operations, oldest first: a ring buffer, so
 * recording one is O(1) however full it is.
 */
export class HistoryRing {
  #items: (OperationContext | undefined)[] = [];
  #start = 0; // index of the oldest entry once the ring is full
  #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#items.length;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** Changes the capacity; the newest entries are kept. */
  set capacity(capacity: number) {
    const kept = this.toArray().slice(Math.max(0, this.size - capacity));
    this.#items = kept;
    this.#start = 0;
    this.#capacity = capacity;
  }

  push(item: OperationContext): void {
    if (this.#capacity === 0) return;
    if (this.#items.length < this.#capacity) {
      this.#items.push(item);
      return;
    }
    this.#items[this.#start] = item;
    this.#start = (this.#start + 1) % this.#capacity;
  }

  /** Oldest first. */
  toArray(): OperationContext[] {
    const items = this.#items as OperationContext[];
    if (this.#start === 0) return items.slice();
    return items.slice(this.#start).concat(items.slice(0, this.#start));
  }

  /** Keeps the entries for which `keep` returns true (order preserved); returns the removed ones. */
  retain(keep: (item: OperationContext) => boolean): OperationContext[] {
    const removed: OperationContext[] = [];
    const kept: OperationContext[] = [];
    for (const item of this.toArray()) (keep(item) ? kept : removed).push(item);
    this.#items = kept;
    this.#start = 0;
    return removed;
  }
}
