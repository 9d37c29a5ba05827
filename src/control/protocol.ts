/**
 * The control endpoint's wire format: one JSON object per line (UTF-8, `\n`-terminated) each way.
 *
 * Request:   `{ "id": 1, "op": "list", "filter": { "status": "running", "name": "job-" } }` (a name
 *            filter is a case-insensitive substring, never a pattern)
 * Response:  `{ "id": 1, "ok": true, "result": [...] }` or `{ "id": 1, "ok": false, "error": { "code", "message" } }`
 * Watch:     after `{ "id": 7, "op": "watch" }` is acknowledged, `{ "id": 7, "event": { "type", "context" } }`
 *            lines follow until `{ "op": "unwatch", "watchId": 7 }` or the client disconnects (one
 *            watch per connection).
 * Unsolicited: `{ "id": null, "ok": false, "error": { "code": "EBUSY" | "EIDLE", ... } }` before the
 *            server disconnects a client over the connection limit, or idle too long.
 */
import type { ControlEvent } from '../registry/listen.js';

/** Longest request line the server accepts (bytes, without the newline): 1 MiB. */
export const MAX_LINE_BYTES = 1024 * 1024;

/** The operations a control endpoint answers. */
export type ControlOp = 'list' | 'get' | 'cancel' | 'cancelAll' | 'watch' | 'unwatch' | 'history' | 'stats' | 'info';

/** Error codes of failed responses. */
export type ControlErrorCode =
  | 'EPARSE' // the line is not JSON
  | 'EBADREQUEST' // not an object, or a bad field
  | 'EUNKNOWNOP' // no such op
  | 'ETOOLONG' // the line exceeded MAX_LINE_BYTES (it is discarded)
  | 'EINTERNAL' // the registry threw, or the result could not be encoded
  | 'EBUSY' // too many clients: this connection is closed
  | 'EIDLE'; // nothing asked for too long: this connection is closed

/** A registry event as sent to watchers. */
export type { ControlEvent } from '../registry/listen.js';

/** One response line. */
export type ControlResponse =
  | { id: ControlRequestId; ok: true; result: unknown }
  | { id: ControlRequestId; ok: false; error: { code: ControlErrorCode; message: string } }
  | { id: ControlRequestId; event: ControlEvent };

/** A request id: any JSON scalar chosen by the client, echoed back (`null` when unknown). */
export type ControlRequestId = string | number | null;

/** What `info` answers: which process this is. */
export interface ControlInfo {
  pid: number;
  ppid: number;
  title: string;
  argv: string[];
  cwd: string;
  node: string;
  /** Epoch milliseconds at which the endpoint started listening. */
  listeningSince: number;
}

/**
 * Splits a byte stream into lines, with a cap: a line longer than `maxBytes` is reported once through
 * `onOversize` and discarded up to its newline, without ever buffering more than `maxBytes`.
 */
export class LineSplitter {
  #parts: Buffer[] = [];
  #size = 0;
  #skipping = false;
  readonly #maxBytes: number;
  readonly #onLine: (line: string) => void;
  readonly #onOversize: () => void;

  constructor(maxBytes: number, onLine: (line: string) => void, onOversize: () => void) {
    this.#maxBytes = maxBytes;
    this.#onLine = onLine;
    this.#onOversize = onOversize;
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(10, start);
      const end = newline === -1 ? chunk.length : newline;
      if (!this.#skipping && end > start) {
        if (this.#size + (end - start) > this.#maxBytes) {
          this.#skipping = true;
          this.#parts = [];
          this.#size = 0;
          this.#onOversize();
        } else {
          // Copy: a slice would retain the whole (possibly large) chunk.
          this.#parts.push(Buffer.from(chunk.subarray(start, end)));
          this.#size += end - start;
        }
      }
      if (newline === -1) return;
      if (this.#skipping) this.#skipping = false;
      else {
        const line = (this.#parts.length === 1 ? (this.#parts[0] as Buffer) : Buffer.concat(this.#parts, this.#size)).toString('utf8');
        this.#parts = [];
        this.#size = 0;
        this.#onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
      }
      start = newline + 1;
    }
  }
}

/** JSON that survives values `JSON.stringify` refuses (BigInt becomes a string). Throws on cycles. */
export function encodeLine(value: unknown): string {
  return `${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`;
}
