import type { CancelationReason, OperationStatus } from './reasons.js';

/** The last progress report of a scope. */
export interface ProgressReport {
  message: string;
  metadata: Record<string, unknown> | null;
  /** Epoch milliseconds. */
  at: number;
}

/**
 * A JSON-serialisable snapshot of a scope: what callbacks receive, what the registry lists and the
 * CLI shows. Absent values are `null` so that every key survives `JSON.stringify`.
 */
export interface OperationContext<P = unknown> {
  id: string;
  name: string;
  parentId: string | null;
  status: OperationStatus;
  /** Epoch milliseconds, once started. */
  startTime: number | null;
  /** Epoch milliseconds, once ended. */
  endTime: number | null;
  /** From start to end (or to now, while running). */
  durationMs: number | null;
  /** Set as soon as a cancellation is requested, even if the body then completed. */
  cancelReason: CancelationReason | null;
  cancelMessage: string | null;
  /** The failure's message (`failed` runs). */
  error: string | null;
  progress: ProgressReport | null;
  /** What the operation produced before it ended (streams keep `{ count, buffer, completed }`). */
  partialResult: P | null;
  metadata: Record<string, unknown>;
}
