import { adapterSuite } from './suite.js';

adapterSuite('fastify');
