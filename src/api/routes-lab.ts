// Admin API: the lab world (up, down, status); it carries the daemon's prefix so sealing checks see it all.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { labCommand, labStateDir } from '../cli/verbs/lab.js';
import { labTorDown, labTorRunning, labTorUp } from '../lab/index.js';
import type { DaemonContext } from '../daemon/context.js';

const query = z.object({ json: z.enum(['true', 'false']).optional(), tor: z.enum(['true', 'false']).optional() }).strict();

export function labRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const dir = () => labStateDir(ctx.paths.home);
  app.get('/lab/status', async (req) => {
    const q = query.parse(req.query);
    const r = await labCommand('status', { json: q.json === 'true', home: ctx.paths.home, prefix: ctx.prefix });
    const tor = labTorRunning();
    if (q.json === 'true') {
      const st = JSON.parse(r.stdout) as Record<string, unknown>;
      st.tor = tor ? { onionAddress: tor.onionAddress, nodes: tor.nodes.map((n) => ({ nick: n.nick, role: n.role, address: n.address, pid: n.pid })) } : null;
      return { ...r, stdout: JSON.stringify(st, null, 2) + '\n' };
    }
    return { ...r, stdout: r.stdout + (tor ? `tor network: ${tor.nodes.length} nodes, onion ${tor.onionAddress}\n` : 'tor network: down\n') };
  });
  app.post('/lab/up', async (req) => {
    const q = query.parse(req.query);
    const r = await labCommand('up', { json: q.json === 'true', home: ctx.paths.home, prefix: ctx.prefix });
    let extra = '';
    if (q.tor !== 'false' && r.exitCode === 0) {
      const started = Date.now();
      const net = await labTorUp(ctx.prefix, dir());
      extra = `tor network ready: ${net.nodes.length} nodes, onion ${net.onionAddress} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`;
    }
    ctx.store.audit('admin', 'lab-up', null, { tor: q.tor !== 'false' });
    return q.json === 'true' ? r : { ...r, stdout: r.stdout + extra };
  });
  app.post('/lab/down', async (req) => {
    const q = query.parse(req.query);
    await labTorDown(dir());
    const r = await labCommand('down', { json: q.json === 'true', home: ctx.paths.home, prefix: ctx.prefix });
    ctx.store.audit('admin', 'lab-down', null, {});
    return r;
  });
}
