import { adapterSuite } from './suite.js';

adapterSuite('hono');
