import { jsonCopy, type OperationContext } from '../core/index.js';

function isEmptyObject(value: Record<string, unknown>): boolean {
  for (const _key in value) return false;
  return true;
}

/** A copy of a record that stays a record (a `toJSON` returning something else gives `{}`). */
function copyRecord(value: Record<string, unknown>): Record<string, unknown> {
  if (isEmptyObject(value)) return {};
  const copy = jsonCopy(value);
  return copy !== null && typeof copy === 'object' && !Array.isArray(copy) ? (copy as Record<string, unknown>) : {};
}

/**
 * A deep, JSON-safe copy of a context: nothing in it is shared with the scope (metadata, progress
 * metadata and the partial result are copied), so a caller may mutate it freely.
 */
export function copyContext(context: OperationContext): OperationContext {
  const progress = context.progress;
  const metadata = context.metadata;
  return {
    id: context.id,
    name: context.name,
    parentId: context.parentId,
    status: context.status,
    startTime: context.startTime,
    endTime: context.endTime,
    durationMs: context.durationMs,
    cancelReason: context.cancelReason,
    cancelMessage: context.cancelMessage,
    error: context.error,
    progress:
      progress === null
        ? null
        : {
            message: progress.message,
            metadata: progress.metadata === null ? null : copyRecord(progress.metadata),
            at: progress.at,
          },
    partialResult: jsonCopy(context.partialResult),
    metadata: copyRecord(metadata),
  };
}
