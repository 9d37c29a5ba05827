/**
 * `cancelable-ts/koa`: request scopes for Koa (SPEC §10). `koa` is an optional peer dependency: this
 * entry imports only its types. The scope is `ctx.scope` and `Cancelable.current()` in the middleware
 * after it.
 *
 * @packageDocumentation
 */
export { requestScope, routeTimeout } from './middleware.js';
export type { KoaScopeOptions } from './middleware.js';
