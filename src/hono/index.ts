/**
 * `cancelable-ts/hono`: request scopes for Hono 4 on any runtime (SPEC §10). `hono` is an optional
 * peer dependency: this entry imports only its types. The scope is `c.get('scope')` / `c.var.scope`
 * and `Cancelable.current()` in the handlers after the middleware.
 *
 * @packageDocumentation
 */
export { requestScope, routeTimeout, cancelationErrors } from './middleware.js';
export type { HonoScopeOptions } from './middleware.js';
