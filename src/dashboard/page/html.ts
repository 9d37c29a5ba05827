import { SCRIPT } from './script.js';
import { STYLE } from './style.js';

/** What the page needs to know at load, embedded as JSON. */
export interface PageConfig {
  title: string;
  kind: string;
  description: string;
  readOnly: boolean;
}

/** JSON safe inside a `<script>` element: no `<`, `>`, `&` or line separators left as such. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * The dashboard's one page: inline style and script under `nonce`, the configuration as a JSON data
 * block. Nothing here comes from operations: they arrive as JSON and are written with `textContent`.
 */
export function renderPage(nonce: string, config: PageConfig): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>cancelable</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<header>
  <h1 id="title">cancelable</h1>
  <span id="source" class="dim"></span>
  <span id="conn" class="conn">connecting</span>
  <span id="stats" class="stats"></span>
</header>
<nav class="toolbar">
  <button id="tab-live" class="tab active" type="button">Live</button>
  <button id="tab-history" class="tab" type="button">History</button>
  <input id="filter-name" type="search" placeholder="Filter by name" maxlength="200" autocomplete="off" aria-label="Filter by name">
  <input id="filter-host" type="search" placeholder="Filter by host" maxlength="200" autocomplete="off" aria-label="Filter by host" hidden>
  <select id="filter-status" aria-label="Filter by status">
    <option value="">any status</option>
    <option value="running">running</option>
    <option value="cancelling">cancelling</option>
    <option value="completed">completed</option>
    <option value="cancelled">cancelled</option>
    <option value="failed">failed</option>
  </select>
  <button id="cancel-matching" class="danger" type="button" hidden>Cancel matching…</button>
</nav>
<main>
  <section id="live-view" class="view">
    <div class="thead"><span class="c-name">Operation</span><span class="c-status">Status</span><span class="c-age">Age</span><span class="c-progress">Last progress</span><span class="c-reason">Reason</span><span id="head-host" class="c-host" hidden>Host</span><span id="head-actions" class="c-actions">Actions</span></div>
    <div id="live-list" class="list" role="grid" aria-label="Live operations"></div>
    <p id="live-empty" class="empty" hidden>No operations.</p>
  </section>
  <section id="history-view" class="view" hidden>
    <div class="thead"><span class="c-name">Operation</span><span class="c-status">Outcome</span><span class="c-age">Duration</span><span class="c-reason">Reason</span><span class="c-progress">Ended</span><span id="hist-head-host" class="c-host" hidden>Host</span></div>
    <div id="history-list" class="list" role="grid" aria-label="History"></div>
    <p id="history-empty" class="empty" hidden>No ended operations.</p>
  </section>
  <aside id="detail" aria-label="Operation detail" hidden></aside>
</main>
<div id="modal" class="modal" hidden>
  <div class="modal-box" role="dialog" aria-modal="true" aria-labelledby="modal-title">
    <h2 id="modal-title"></h2>
    <p id="modal-text"></p>
    <label for="modal-message">Message</label>
    <input id="modal-message" type="text" maxlength="1000" autocomplete="off" placeholder="Why? (recorded with the cancellation)">
    <div class="modal-actions">
      <button id="modal-back" type="button">Back</button>
      <button id="modal-confirm" class="danger" type="button">Cancel operation</button>
    </div>
  </div>
</div>
<div id="toast" role="status" hidden></div>
<script type="application/json" id="dashboard-config">${scriptJson(config)}</script>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>
`;
}
