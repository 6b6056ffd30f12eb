// GET /api/qubes/:name/display/ws on the dashboard: a qube's display stream as a WebSocket (binary frames both ways) for the page's Windows view.
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { DaemonContext } from '../../daemon/context.js';
import { nameParam } from '../../daemon/feature.js';
import { displayHub } from '../../features/desktop/index.js';

/** The largest frame the page may send: input messages are a few dozen bytes, so anything bigger is not the page's. */
export const MAX_INPUT_FRAME = 64 * 1024;
/** WebSocket close codes the page shows: the display is not running, the stream ended (reason follows), the frame was not binary. */
export const WS_NOT_RUNNING = 4404;
export const WS_ENDED = 4000;
export const WS_NOT_BINARY = 1003;

/** A close reason fits a control frame (125 bytes with the code): cut on a character boundary. */
function closeReason(reason: string): string {
  const enc = new TextEncoder();
  let r = reason;
  while (enc.encode(r).length > 120) r = r.slice(0, -1);
  return r;
}

/**
 * Registered inside the dashboard's /api scope, so the session cookie and the Host/Origin/Sec-Fetch checks run before the upgrade.
 * A WebSocket from a browser always carries Origin: one without it is not the page's and is refused too.
 */
export function dashboardDisplayRoute(app: FastifyInstance, ctx: DaemonContext): void {
  app.get(
    '/qubes/:name/display/ws',
    {
      websocket: true,
      preHandler: async (req, reply) => {
        if (req.headers.origin === undefined)
          return reply.code(403).send({ error: 'ERR_PERMISSION', message: 'a display stream needs the Origin header of the dashboard page' });
      },
    },
    (socket: WebSocket, req) => {
      const { name } = nameParam.parse(req.params);
      const hub = displayHub(ctx);
      if (!ctx.store.system().qubes.has(name) || !hub.has(name)) {
        socket.close(WS_NOT_RUNNING, closeReason(`the display of '${name}' is not running`));
        return;
      }
      const att = hub.attach(name, {
        send: (bytes) => socket.send(bytes, { binary: true }),
        // A slow page is cut off at once: a closing handshake would queue behind what it has not read.
        close: (reason) => (reason?.startsWith('ERR_DISPLAY_SLOW') ? socket.terminate() : socket.close(WS_ENDED, closeReason(reason ?? 'ended'))),
        buffered: () => socket.bufferedAmount,
      });
      ctx.store.audit('admin', 'display-attached', name, { via: 'dashboard' });
      socket.on('message', (data, isBinary) => {
        if (!isBinary) {
          socket.close(WS_NOT_BINARY, 'display input is binary');
          return;
        }
        const parts = Array.isArray(data) ? data : [data instanceof ArrayBuffer ? Buffer.from(data) : data];
        for (const b of parts) att.input(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
      });
      socket.on('close', () => att.detach());
      socket.on('error', () => att.detach());
    },
  );
}
