/** One progress report in an operation's timeline. */
export interface ProgressPoint {
  message: string;
  /** Epoch milliseconds. */
  at: number;
}

/**
 * The last `perOperation` progress reports of up to `operations` operations: a ring per operation,
 * and the least recently updated operation's ring dropped when a new one would exceed the cap. Memory
 * is bounded by `perOperation × operations` points whatever the sources send.
 */
export class ProgressTimelines {
  readonly #perOperation: number;
  readonly #operations: number;
  /** Insertion order = least recently updated first (an update moves the entry to the end). */
  readonly #rings = new Map<string, { points: ProgressPoint[]; next: number }>();

  constructor(perOperation: number, operations: number) {
    this.#perOperation = perOperation;
    this.#operations = operations;
  }

  /** Records a report (ignored when it repeats the last one: polled sources see the same report twice). */
  record(id: string, point: ProgressPoint): void {
    if (this.#perOperation === 0) return;
    let ring = this.#rings.get(id);
    if (ring === undefined) {
      ring = { points: [], next: 0 };
      if (this.#rings.size >= this.#operations) {
        const oldest = this.#rings.keys().next();
        if (!oldest.done) this.#rings.delete(oldest.value);
      }
    } else {
      this.#rings.delete(id);
      const last = ring.points[(ring.next + ring.points.length - 1) % ring.points.length];
      if (last !== undefined && last.at === point.at && last.message === point.message) {
        this.#rings.set(id, ring);
        return;
      }
    }
    this.#rings.set(id, ring);
    if (ring.points.length < this.#perOperation) ring.points.push(point);
    else {
      ring.points[ring.next] = point;
      ring.next = (ring.next + 1) % this.#perOperation;
    }
  }

  /** The reports kept for `id`, oldest first. */
  get(id: string): ProgressPoint[] {
    const ring = this.#rings.get(id);
    if (ring === undefined) return [];
    return ring.points.slice(ring.next).concat(ring.points.slice(0, ring.next));
  }

  get size(): number {
    return this.#rings.size;
  }
}
