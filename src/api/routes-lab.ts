// Admin API: the lab world (up, down, status) as data; it carries the daemon's prefix so sealing checks see it all.
import type { FastifyInstance } from 'fastify';
import { labUpQuery as upQuery, type LabStatusReply, type LabTorView, type LabUpReply } from '../contract/lab.js';
import { labDown, labStateDir, labStatus, labTorDown, labTorRunning, labTorUp, labUp } from '../lab/index.js';
import type { DaemonContext } from '../daemon/context.js';

function torView(): LabTorView | null {
  const tor = labTorRunning();
  return tor ? { onionAddress: tor.onionAddress, nodes: tor.nodes.map((n) => ({ nick: n.nick, role: n.role, address: n.address, pid: n.pid })) } : null;
}

export function labRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const dir = () => labStateDir(ctx.paths.home);
  app.get('/lab/status', async (): Promise<LabStatusReply> => ({ lab: await labStatus(ctx.prefix, dir()), tor: torView() }));
  app.post('/lab/up', async (req): Promise<LabUpReply> => {
    const q = upQuery.parse(req.query);
    const started = Date.now();
    const lab = await labUp(ctx.prefix, dir());
    const ms = Date.now() - started;
    let tor: LabUpReply['tor'] = null;
    if (q.tor !== 'false' && lab.up) {
      const t0 = Date.now();
      const net = await labTorUp(ctx.prefix, dir());
      tor = { nodes: net.nodes.length, onionAddress: net.onionAddress, ms: Date.now() - t0 };
    }
    ctx.store.audit('admin', 'lab-up', null, { tor: q.tor !== 'false' });
    return { lab, ms, tor };
  });
  app.post('/lab/down', async () => {
    await labTorDown(dir());
    const r = await labDown(ctx.prefix, dir());
    ctx.store.audit('admin', 'lab-down', null, {});
    return r;
  });
}
