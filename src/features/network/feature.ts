// The network feature: registers lifecycle hooks that give qubes their links, netvms their tables.
import { effective, isGateway } from '../../model/index.js';
import { netnsDelete, netnsExists } from '../../net/index.js';
import type { DaemonContext, QubeHooks } from '../../daemon/context.js';
import { isRunning, startQube } from '../../daemon/lifecycle/power.js';
import { attachLink, detachLink, makeQubeNetns, removeResolvConf, resolvConfFor, type Attachment } from './links.js';
import { netnsPath, qubeNetns, QUBE_IF, vifName } from './names.js';
import { finishNetvm, resumeNetvms, setupNetvm, teardownNetvm } from './netvm-setup.js';
import { run } from '../../exec/index.js';
import { qubeLinkPlan } from '../../model/addresses.js';
import { FirewallTimer } from './expiry.js';

export interface NetworkFeature {
  hooks: QubeHooks;
  attachments: Map<string, Attachment>;
  timer: FirewallTimer;
}

function netvmOf(ctx: DaemonContext, name: string): string | null {
  const q = ctx.store.requireQube(name);
  const v = effective(q, 'netvm', ctx.store.system());
  return typeof v === 'string' ? v : null;
}
function providesNetwork(ctx: DaemonContext, name: string): boolean {
  return effective(ctx.store.requireQube(name), 'provides_network', ctx.store.system()) === true;
}

export function networkFeature(): NetworkFeature {
  const attachments = new Map<string, Attachment>();
  const timer = new FirewallTimer(attachments);

  const hooks: QubeHooks = {
    async preStart(ctx, name) {
      const netvm = netvmOf(ctx, name);
      const provides = providesNetwork(ctx, name);
      // No netvm and no downstream qubes: the runtime's own empty namespace (only lo) is enough.
      if (!netvm && !provides) return { netnsPath: null };
      const gateway = isGateway(ctx.store.requireQube(name));
      // A gateway forwards nothing: no forwarding, no NAT; the gateway feature loads its own rules.
      const ns = await makeQubeNetns(ctx, name, provides && !gateway);
      if (provides && !gateway) await setupNetvm(ctx, name, ns, netvm !== null);
      const mounts = [];
      // A workstation's link (netvm is a gateway) is made by the gateway feature.
      if (netvm && !isGateway(ctx.store.getQube(netvm))) {
        attachments.set(name, await attachLink(ctx, name, netvm));
        mounts.push({ source: await resolvConfFor(ctx, name), destination: '/etc/resolv.conf', readonly: true });
      }
      return { netnsPath: netnsPath(ns), mounts };
    },
    async postStart(ctx, name) {
      if (providesNetwork(ctx, name) && !isGateway(ctx.store.requireQube(name))) await finishNetvm(ctx, name, qubeNetns(ctx, name));
    },
    async postStop(ctx, name) {
      const a = attachments.get(name);
      if (a) await detachLink(ctx, name, a);
      attachments.delete(name);
      const ns = qubeNetns(ctx, name);
      if (ctx.store.getQube(name) && providesNetwork(ctx, name)) await teardownNetvm(ctx, name, ns);
      if (await netnsExists(ns)) await netnsDelete([ns]);
      await removeResolvConf(ctx, name);
    },
    async propertyChanged(ctx, name, key) {
      if (key !== 'netvm' || !isRunning(ctx, name)) return;
      const old = attachments.get(name);
      const next = netvmOf(ctx, name);
      if (old?.netvm === next) return;
      if (old) {
        await detachLink(ctx, name, old);
        attachments.delete(name);
      }
      if (!next || isGateway(ctx.store.getQube(next))) return;
      if (!isRunning(ctx, next)) await startQube(ctx, next);
      const ns = qubeNetns(ctx, name);
      if (!(await netnsExists(ns))) {
        // Started without a netvm: name the runtime's namespace so a link can be made into it.
        const inst = await ctx.runtime.state(`${ctx.prefix}-${name}`);
        if (!inst) return;
        await run('ip', ['netns', 'attach', ns, String(inst.pid)]);
      }
      attachments.set(name, await attachLink(ctx, name, next));
      // resolv.conf: a qube started without network has none pointing at the virtual DNS; write it inside.
      await writeResolvInside(ctx, name);
    },
    async daemonStart(ctx) {
      // Running qubes keep their links across a daemon restart: learn them again.
      for (const q of ctx.store.listQubes()) {
        if (!isRunning(ctx, q.name)) continue;
        const netvm = netvmOf(ctx, q.name);
        if (!netvm) continue;
        const n = ctx.store.getQube(netvm);
        if (!n || isGateway(n)) continue;
        const plan = qubeLinkPlan({ qid: q.qid }, { qid: n.qid });
        attachments.set(q.name, { netvm, ifname: vifName(q.qid), address: plan.address, gateway: plan.gateway });
      }
      timer.start(ctx);
      await resumeNetvms(ctx).catch((e: unknown) => ctx.log.warn({ err: e }, 'host uplink: DHCP renewals not resumed'));
    },
    async daemonStop() {
      timer.stop();
    },
  };
  return { hooks, attachments, timer };
}

async function writeResolvInside(ctx: DaemonContext, name: string): Promise<void> {
  const child = ctx.runtime.exec(`${ctx.prefix}-${name}`, ['sh', '-c', 'cat > /etc/resolv.conf 2>/dev/null || true'], { user: 'root' });
  child.stdin.end('nameserver 10.139.1.1\nnameserver 10.139.1.2\n');
  await new Promise((r) => child.on('close', r));
}
export { QUBE_IF };
