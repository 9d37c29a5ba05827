import { randomBytes } from 'node:crypto';

/**
 * The custom header every action must carry: a cross-site form or image cannot set it.
 * @example
 * ```ts
 * await fetch(`${base}api/operations/${id}/cancel`, {
 *   method: 'POST',
 *   headers: { 'content-type': 'application/json', [ACTION_HEADER]: '1' },
 *   body: JSON.stringify({ message: 'Stopped by a script' }),
 * });
 * ```
 */
export const ACTION_HEADER = 'x-cancelable-dashboard';

/** Headers sent with every response of the dashboard. */
export const BASE_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
  'cross-origin-resource-policy': 'same-origin',
};

/** A fresh nonce for the page's inline style and script. */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

/** The page's Content-Security-Policy: only its own nonce'd style and script, requests to itself. */
export function pagePolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** A refused action request. */
export interface Refusal {
  status: 403 | 415;
  code: string;
  message: string;
}

/**
 * Checks an action request against cross-site request forgery: a JSON content type and the custom
 * header (neither can be sent cross-origin without a CORS preflight, which the dashboard never
 * grants), a same-origin `Sec-Fetch-Site` when the browser sends one, and an `Origin` equal to the
 * request's own host or listed in `allowedOrigins`.
 */
export function checkActionRequest(
  header: (name: string) => string | undefined,
  allowedOrigins: readonly string[],
): Refusal | undefined {
  const type = (header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    return { status: 415, code: 'ECONTENTTYPE', message: 'actions take a JSON body (Content-Type: application/json)' };
  }
  if (header(ACTION_HEADER) !== '1') {
    return { status: 403, code: 'ECSRF', message: `actions need the header ${ACTION_HEADER}: 1` };
  }
  const site = header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return { status: 403, code: 'ECSRF', message: `cross-site request refused (Sec-Fetch-Site: ${site.slice(0, 20)})` };
  }
  const origin = header('origin');
  if (origin !== undefined && !allowedOrigins.includes(origin)) {
    let host: string | undefined;
    try {
      host = origin === 'null' ? undefined : new URL(origin).host;
    } catch {
      host = undefined;
    }
    const own = header('host');
    if (host === undefined || own === undefined || host.toLowerCase() !== own.toLowerCase()) {
      return { status: 403, code: 'ECSRF', message: 'cross-origin request refused (Origin does not match Host)' };
    }
  }
  return undefined;
}
