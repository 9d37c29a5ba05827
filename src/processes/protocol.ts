/**
 * The IPC protocol between {@link fork} (parent) and {@link fromParentProcess} (child). Every message
 * carries the tag `__cancelable: 1`, so it can share the channel with the user's own messages (which
 * are never touched). Errors and cancellations travel in the library's one wire form (core/wire.ts).
 *
 * child -> parent  `{ __cancelable: 1, type: 'ready' }`            the link listens; (re)send any cancel
 * parent -> child  `{ __cancelable: 1, type: 'cancel', init }`     cancel the child's scope with `init`
 * child -> parent  `{ __cancelable: 1, type: 'result', ok, value | error }`   how the child's run ended
 */
import type { CancelFields, SerializedError } from '../core/index.js';

/** The tag of every protocol message. */
export const TAG = '__cancelable';

export interface ReadyMessage {
  [TAG]: 1;
  type: 'ready';
}
export interface CancelMessage {
  [TAG]: 1;
  type: 'cancel';
  init: CancelFields;
}
export type ResultMessage =
  | { [TAG]: 1; type: 'result'; ok: true; value: unknown }
  | { [TAG]: 1; type: 'result'; ok: false; error: SerializedError };

export type ProtocolMessage = ReadyMessage | CancelMessage | ResultMessage;

/** Whether `message` is one of ours (anything else belongs to the user). */
export function isProtocolMessage(message: unknown): message is ProtocolMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as Record<string, unknown>)[TAG] === 1 &&
    typeof (message as { type?: unknown }).type === 'string'
  );
}
