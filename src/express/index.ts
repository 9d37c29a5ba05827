/**
 * `cancelable-ts/express`: request scopes for Express 5 (SPEC §10). `express` is an optional peer
 * dependency: this entry imports only its types. The scope is `req.scope` and `Cancelable.current()`
 * in every handler after the middleware.
 *
 * @packageDocumentation
 */
export { requestScope, routeTimeout, cancelationErrors } from './middleware.js';
export type { ExpressScopeOptions } from './middleware.js';
