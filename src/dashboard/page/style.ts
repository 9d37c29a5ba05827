/** The page's stylesheet (inline, under the page's nonce). */
export const STYLE = `
:root { --bg: #0f1419; --panel: #171d24; --line: #263040; --text: #d8dee6; --dim: #8a96a6; --accent: #5aa9ff;
  --ok: #3fb950; --warn: #d29922; --bad: #f85149; --row: 30px; color-scheme: dark; }
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; }
body { background: var(--bg); color: var(--text); font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif;
  display: flex; flex-direction: column; }
header { display: flex; align-items: baseline; gap: 16px; padding: 10px 16px; border-bottom: 1px solid var(--line); flex-wrap: wrap; }
header h1 { font-size: 16px; margin: 0; font-weight: 600; }
.dim { color: var(--dim); }
.conn::before { content: "●"; margin-right: 4px; color: var(--warn); }
.conn.live::before { color: var(--ok); }
.stats span { margin-right: 12px; }
.toolbar { display: flex; gap: 8px; padding: 8px 16px; border-bottom: 1px solid var(--line); align-items: center; flex-wrap: wrap; }
input, select, button { font: inherit; color: var(--text); background: var(--panel); border: 1px solid var(--line);
  border-radius: 4px; padding: 4px 8px; }
button { cursor: pointer; }
button:hover { border-color: var(--accent); }
button.danger { border-color: #6e2b2b; }
button.danger:hover { border-color: var(--bad); background: #2a1717; }
.tab.active { border-color: var(--accent); color: #fff; }
main { flex: 1; display: flex; min-height: 0; }
.view { flex: 1; display: flex; flex-direction: column; min-width: 0; }
.view[hidden], aside[hidden], [hidden] { display: none !important; }
.thead, .row { display: flex; align-items: center; height: var(--row); padding: 0 16px; gap: 8px; white-space: nowrap; }
.thead { color: var(--dim); border-bottom: 1px solid var(--line); font-size: 12px; }
.list { flex: 1; overflow: auto; position: relative; }
.spacer { position: relative; }
.row { position: absolute; left: 0; right: 0; border-bottom: 1px solid #1c232c; cursor: pointer; }
.row:hover { background: #1a212a; }
.row.selected { background: #1d2836; }
.c-name { flex: 3 1 0; overflow: hidden; text-overflow: ellipsis; min-width: 120px; }
.c-status { flex: 0 0 92px; }
.c-age { flex: 0 0 72px; text-align: right; font-variant-numeric: tabular-nums; }
.c-progress { flex: 3 1 0; overflow: hidden; text-overflow: ellipsis; color: var(--dim); }
.c-reason { flex: 3 1 0; overflow: hidden; text-overflow: ellipsis; }
.c-host { flex: 1 1 0; overflow: hidden; text-overflow: ellipsis; color: var(--dim); }
.c-actions { flex: 0 0 150px; display: flex; gap: 4px; justify-content: flex-end; }
.c-actions button { padding: 1px 6px; font-size: 12px; }
.status { padding: 1px 6px; border-radius: 8px; font-size: 12px; background: #222b36; }
.status.running { color: var(--accent); }
.status.completed { color: var(--ok); }
.status.cancelled, .status.cancelling { color: var(--warn); }
.status.failed { color: var(--bad); }
aside { width: 38%; max-width: 560px; min-width: 300px; border-left: 1px solid var(--line); overflow: auto; padding: 12px 16px; background: var(--panel); }
aside h2 { font-size: 15px; margin: 0 0 8px; word-break: break-all; }
aside dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: 0 0 12px; }
aside dt { color: var(--dim); }
aside dd { margin: 0; word-break: break-word; }
aside pre { background: var(--bg); padding: 8px; border-radius: 4px; overflow: auto; max-height: 240px; margin: 0 0 12px; }
aside h3 { font-size: 13px; margin: 12px 0 6px; color: var(--dim); font-weight: 600; }
aside ol { margin: 0; padding-left: 20px; }
aside li { margin-bottom: 2px; }
.link { background: none; border: none; color: var(--accent); padding: 0; text-decoration: underline; }
.chain { display: flex; flex-wrap: wrap; gap: 4px; align-items: center; margin-bottom: 8px; }
.modal { position: fixed; inset: 0; background: rgba(0, 0, 0, .55); display: flex; align-items: center; justify-content: center; }
.modal-box { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 16px; width: min(480px, 92vw); }
.modal-box h2 { font-size: 15px; margin: 0 0 8px; }
.modal-box input { width: 100%; margin: 8px 0 12px; }
.modal-actions { display: flex; justify-content: flex-end; gap: 8px; }
#toast { position: fixed; bottom: 16px; right: 16px; background: var(--panel); border: 1px solid var(--line); padding: 8px 12px;
  border-radius: 4px; max-width: 60vw; }
#toast.error { border-color: var(--bad); }
.empty { padding: 24px 16px; color: var(--dim); }
`;
