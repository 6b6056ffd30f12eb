// Source of the lab's web server (node:http on 80, node:https on 443), written into the lab's state directory at lab up.
export { WEB_SERVER_FILE } from './files.js';
export const LAB_PAGE_MARKER = 'bulkhead lab';

/** Usage: node web-server.mjs HOSTNAME CERT KEY. Routes: `/` page, `/ip` the client's address, `/bytes/N` N bytes. */
export const WEB_SERVER_SOURCE = String.raw`// bulkhead lab web host (generated at lab up; removed at lab down)
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';

const [name = 'web.lab.test', certFile, keyFile] = process.argv.slice(2);
const page = '<!doctype html>\n<html><head><meta charset="utf-8"><title>bulkhead lab: ' + name + '</title></head>\n' +
  '<body><h1>bulkhead lab</h1><p>This is ' + name + ', a web host of the sealed lab world.</p></body></html>\n';
const MAX = 1 << 30;
const chunk = Buffer.alloc(65536, 0x61);

function handle(req, res) {
  const path = (req.url || '/').split('?')[0];
  const peer = String(req.socket.remoteAddress || '').replace(/^::ffff:/, '');
  const head = { 'x-lab-host': name, 'cache-control': 'no-store' };
  if (path === '/') {
    res.writeHead(200, { ...head, 'content-type': 'text/html; charset=utf-8' });
    res.end(page);
  } else if (path === '/ip') {
    res.writeHead(200, { ...head, 'content-type': 'text/plain' });
    res.end(peer + '\n');
  } else if (path.startsWith('/bytes/')) {
    const n = Number(path.slice(7));
    if (!Number.isInteger(n) || n < 0 || n > MAX) { res.writeHead(400, head); res.end('bad size\n'); return; }
    res.writeHead(200, { ...head, 'content-type': 'application/octet-stream', 'content-length': String(n) });
    let left = n;
    const pump = () => {
      while (left > 0) {
        const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= part.length;
        if (!res.write(part)) { res.once('drain', pump); return; }
      }
      res.end();
    };
    pump();
  } else {
    res.writeHead(404, { ...head, 'content-type': 'text/plain' });
    res.end('not found in the lab\n');
  }
}

http.createServer(handle).listen(80, '0.0.0.0');
if (certFile && keyFile) {
  https.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, handle).listen(443, '0.0.0.0');
}
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
`;
