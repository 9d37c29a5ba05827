import http from 'node:http';
import { Pool } from 'undici';
import { handleRequest, requestScope } from 'cancelable-ts/http';
import { Cancelable } from 'cancelable-ts';
const mode = process.argv[2];
const server = http.createServer((req, res) => {
  if (mode === 'bare') res.end('ok');
  else if (mode === 'plain') new Cancelable({parent: null}).run(async () => { res.end('ok'); });
  else if (mode === 'scope') requestScope(req, res).run(async () => { res.end('ok'); });
  else if (mode === 'scopeT') requestScope(req, res, {timeout: 30000}).run(async () => { res.end('ok'); });
  else if (mode === 'noheaders') requestScope(req, res, {deadlineHeaders: []}).run(async () => { res.end('ok'); });
  else handleRequest(req, res, async () => { res.end('ok'); }, { timeout: 30_000 });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
await new Cancelable().run(async () => {});
const pool = new Pool(`http://127.0.0.1:${server.address().port}`, { connections: 8 });
for (let k = 0; k < 4; k++) {
let done = 0; const t = performance.now();
await Promise.all(Array.from({ length: 32 }, async () => { while (performance.now() - t < 1500) { const { body } = await pool.request({ path: '/', method: 'GET' }); await body.text(); done++; } }));
console.log(mode, Math.round(done / ((performance.now() - t) / 1000)));
}
await pool.close(); server.close();
