import { adapterSuite } from './suite.js';

adapterSuite('express');
