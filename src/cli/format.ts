/**
 * Text rendering of the `cancelable` CLI: the `ps` tree and `watch` lines. Every field comes from
 * another process and is escaped (see escape.ts) before it reaches the terminal.
 */
import type { OperationContext } from '../core/context.js';
import type { ControlEvent } from '../control/protocol.js';
import { escapeControl } from './escape.js';

/** The id as shown: its first 8 characters (any unique prefix is accepted by `cancel`), escaped. */
export function shortId(id: string): string {
  return escapeControl(String(id).length > 8 ? String(id).slice(0, 8) : String(id));
}

/** `350ms`, `12.3s`, `5m03s`, `2h05m`, `3d04h`. */
export function formatAge(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  const s = Math.floor(ms / 1_000);
  if (s < 3_600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  const m = Math.floor(s / 60);
  if (m < 1_440) return `${Math.floor(m / 60)}h${pad(m % 60)}m`;
  const h = Math.floor(m / 60);
  return `${Math.floor(h / 24)}d${pad(h % 24)}h`;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** A live operation's status as shown: `cancelling` once a cancellation was requested. */
export function displayStatus(context: OperationContext): string {
  return context.status === 'running' && context.cancelReason !== null ? 'cancelling' : escapeControl(String(context.status));
}

/** The last progress report, with how long ago it came (relative to `now`). */
export function formatProgress(context: OperationContext, now: number): string {
  const progress = context.progress;
  if (progress === null) return '';
  const ago = now - progress.at;
  return ago >= 1_000 ? `${oneLine(progress.message)} (${formatAge(ago)} ago)` : oneLine(progress.message);
}

/** One escaped line of at most 80 characters (before escaping). */
export function oneLine(text: string): string {
  const flat = String(text).replace(/\s+/g, ' ').trim();
  return escapeControl(flat.length > 80 ? `${flat.slice(0, 77)}...` : flat);
}

/**
 * The `ps` table: one row per operation, children indented under their parent (an operation whose
 * parent is not listed is a root), siblings in start order.
 * @example
 * ```
 * ID        NAME              STATUS      AGE    PROGRESS
 * 3f2a9c1e  server            running     2m05s  listening on :8080
 * a81b2c3d  ├─ request-17     running     1.2s   Step 3/10
 * f0e1d2c3  └─ request-18     cancelling  0.4s
 * ```
 */
export function formatTree(contexts: readonly OperationContext[], now: number = Date.now(), fullIds = false): string {
  const byId = new Map(contexts.map((context) => [context.id, context]));
  const children = new Map<string | null, OperationContext[]>();
  for (const context of contexts) {
    const parent = context.parentId !== null && byId.has(context.parentId) ? context.parentId : null;
    let list = children.get(parent);
    if (list === undefined) children.set(parent, (list = []));
    list.push(context);
  }
  for (const list of children.values()) list.sort((a, b) => (a.startTime ?? 0) - (b.startTime ?? 0));

  const rows: string[][] = [['ID', 'NAME', 'STATUS', 'AGE', 'PROGRESS']];
  // Iterative depth-first walk (no recursion limit on deep trees).
  const stack: { context: OperationContext; prefix: string; branch: string }[] = [];
  const pushChildren = (parent: string | null, prefix: string): void => {
    const list = children.get(parent) ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      const last = i === list.length - 1;
      stack.push({
        context: list[i] as OperationContext,
        prefix,
        branch: parent === null ? '' : last ? '└─ ' : '├─ ',
      });
    }
  };
  pushChildren(null, '');
  const seen = new Set<string>();
  while (stack.length > 0) {
    const { context, prefix, branch } = stack.pop() as (typeof stack)[number];
    if (seen.has(context.id)) continue;
    seen.add(context.id);
    rows.push([
      fullIds ? escapeControl(String(context.id)) : shortId(context.id),
      `${prefix}${branch}${escapeControl(String(context.name))}`,
      displayStatus(context),
      formatAge(context.durationMs),
      formatProgress(context, now),
    ]);
    const childPrefix = branch === '' ? prefix : `${prefix}${branch === '└─ ' ? '   ' : '│  '}`;
    pushChildren(context.id, childPrefix);
  }
  return renderTable(rows);
}

function renderTable(rows: readonly string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] as number) - [...cell].length)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** One `watch` line: time, event, id, name and what changed. */
export function formatEvent(event: ControlEvent, at: Date = new Date()): string {
  const { type, context } = event;
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}.${String(at.getMilliseconds()).padStart(3, '0')}`;
  let detail = '';
  if (type === 'progress') detail = context.progress !== null ? oneLine(context.progress.message) : '';
  else if (type === 'end') {
    detail = `${escapeControl(String(context.status))} after ${formatAge(context.durationMs)}`;
    if (context.status === 'cancelled' && context.cancelReason !== null) {
      detail += ` (${escapeControl(String(context.cancelReason))}${context.cancelMessage !== null ? `: ${oneLine(context.cancelMessage)}` : ''})`;
    } else if (context.status === 'failed' && context.error !== null) detail += ` (${oneLine(context.error)})`;
  }
  return `${time}  ${escapeControl(String(type)).padEnd(8)}  ${shortId(context.id)}  ${escapeControl(String(context.name))}${detail !== '' ? `  ${detail}` : ''}`;
}
