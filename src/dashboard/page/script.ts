import { SCRIPT_ACTIONS } from './script-actions.js';
import { SCRIPT_VIEW } from './script-view.js';

/**
 * The page's script: plain browser JavaScript (no framework), one function run under the page's
 * nonce. Every value from the server is written with `textContent` or as an attribute, never parsed
 * as HTML.
 */
export const SCRIPT = `(function () {\n  'use strict';${SCRIPT_VIEW}${SCRIPT_ACTIONS}})();\n`;
