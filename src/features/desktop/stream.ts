// GET /qubes/:name/display/stream: an admin connection upgraded to the display protocol's binary stream (daemon to client and back).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { DaemonContext } from '../../daemon/context.js';
import { BulkheadError, isBulkheadError } from '../../errors/index.js';
import { displayHub } from './hub.js';
import { DISPLAY_UPGRADE } from '../../contract/desktop.js';
import { DASHBOARD_LISTENER } from '../../daemon/feature.js';

function refuse(socket: Duplex, e: unknown): void {
  const code = isBulkheadError(e) ? e.code : 'ERR_INTERNAL';
  const status = isBulkheadError(e) ? e.status : 500;
  const text = JSON.stringify({ error: code, message: e instanceof Error ? e.message : String(e) });
  socket.end(`HTTP/1.1 ${status} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
}

/** The upgrade handler; other upgrade kinds (exec) are left to their own handler. */
export function displayStreamRoute(app: FastifyInstance, ctx: DaemonContext): void {
  // The raw stream has no session check: on the dashboard's loopback port it would hand any local process the display.
  if (app.hasDecorator(DASHBOARD_LISTENER)) return;
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if ((req.headers.upgrade ?? '').toLowerCase() !== DISPLAY_UPGRADE) return;
    try {
      const m = /^\/qubes\/([^/?]+)\/display\/stream$/.exec(req.url ?? '');
      if (!m) throw new BulkheadError('ERR_BAD_REQUEST', `no display stream at ${req.url}`);
      const qube = decodeURIComponent(m[1]!);
      ctx.store.requireQube(qube);
      const hub = displayHub(ctx);
      if (!hub.has(qube)) throw new BulkheadError('ERR_QUBE_NOT_RUNNING', `the display of '${qube}' is not running (POST /qubes/${qube}/display)`);
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: ${DISPLAY_UPGRADE}\r\nconnection: Upgrade\r\n\r\n`);
      const att = hub.attach(qube, {
        send: (bytes) => void socket.write(bytes),
        close: () => socket.destroy(),
        buffered: () => socket.writableLength,
      });
      ctx.store.audit('admin', 'display-attached', qube, {});
      if (head.length) att.input(new Uint8Array(head));
      socket.on('data', (d: Buffer) => att.input(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
      socket.on('close', () => att.detach());
      socket.on('error', () => att.detach());
    } catch (e) {
      refuse(socket, e);
    }
  });
}
