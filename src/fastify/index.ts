/**
 * `cancelable-ts/fastify`: request scopes for Fastify 5 (SPEC §10). `fastify` is an optional peer
 * dependency: this entry imports only its types. The scope is `request.scope` and
 * `Cancelable.current()` in the route handler; per-route options go in `config.cancelable`.
 *
 * @packageDocumentation
 */
export { cancelablePlugin } from './plugin.js';
export type { FastifyRouteScopeOptions, FastifyScopeOptions } from './plugin.js';
