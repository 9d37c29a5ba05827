import { adapterSuite } from './suite.js';

adapterSuite('koa');
