// First-boot set-up as Qubes does it: default template, default-dvm, and with an uplink sys-net and sys-firewall.
import { BulkheadError } from '../../errors/index.js';
import type { DaemonContext } from '../context.js';
import { dispvmRefusal, effective, netPath } from '../../model/index.js';
import { createQube, removeFeature, setFeature, setGlobal, setProperty } from './manage.js';
import { uplinkOf } from '../../model/index.js';
import { isRunning } from './power.js';
import { hostUplinkFeatures, type HostUplinkOptions } from './init-uplink.js';
import type { InitReport } from '../../contract/system.js';
export type { InitReport };

export interface InitRequest {
  template?: string;
  uplink?: 'lab' | 'host' | null;
  whonix?: boolean;
  host?: HostUplinkOptions;
}

export async function initSystem(ctx: DaemonContext, req: InitRequest): Promise<InitReport> {
  const report: InitReport = { created: [], kept: [], globals: {} };
  const g = ctx.store.globals();
  const template = req.template ?? (typeof g.default_template === 'string' ? g.default_template : 'debian-12');
  const t = ctx.store.getQube(template);
  if (!t || t.klass !== 'template') {
    throw new BulkheadError('ERR_TEMPLATE', `template '${template}' does not exist; build it first: bulkhead template build ${template}`);
  }
  if (req.host && req.uplink !== 'host')
    throw new BulkheadError('ERR_INVALID_VALUE', '--nic, --mode, --address, --gateway and --dns are options of --uplink host');
  // The host uplink is checked before anything is made: NIC, host side, mode and settings.
  const uplinkFeatures =
    req.uplink === 'host' ? await hostUplinkFeatures(ctx, req.host ?? {}) : req.uplink === 'lab' ? { features: { uplink: 'lab' }, text: 'lab' } : null;
  const ensure = async (name: string, make: () => Promise<unknown>) => {
    if (ctx.store.getQube(name)) {
      report.kept.push(name);
      return;
    }
    await make();
    report.created.push(name);
  };
  const global = (key: string, value: string) => {
    if (ctx.store.globals()[key] !== value) setGlobal(ctx, key, value);
    report.globals[key] = value;
  };
  global('default_template', template);
  if (uplinkFeatures) {
    const sysNet = ctx.store.getQube('sys-net');
    const changes = Object.entries(uplinkFeatures.features).filter(([k, v]) => (sysNet?.features[k] ?? '') !== v);
    const stale = Object.keys(sysNet?.features ?? {}).filter((k) => k.startsWith('uplink.') && !(k in uplinkFeatures.features));
    // A running sys-net keeps its uplink until it stops: changing it under it would leave the old one wired.
    if (sysNet && (changes.length || stale.length) && isRunning(ctx, 'sys-net')) {
      throw new BulkheadError(
        'ERR_QUBE_RUNNING',
        `sys-net is running with another uplink; shut it down first (bulkhead shutdown --all, or shutdown its dependents and sys-net), then init again`,
      );
    }
    await ensure('sys-net', () =>
      createQube(ctx, { name: 'sys-net', klass: 'app', label: 'red', template, props: { provides_network: 'true', netvm: 'none', autostart: 'true' } }),
    );
    for (const [k, v] of Object.entries(uplinkFeatures.features)) if (ctx.store.requireQube('sys-net').features[k] !== v) setFeature(ctx, 'sys-net', k, v);
    for (const k of stale) removeFeature(ctx, 'sys-net', k);
    report.uplink = uplinkFeatures.text;
    await ensure('sys-firewall', () =>
      createQube(ctx, {
        name: 'sys-firewall',
        klass: 'app',
        label: 'green',
        template,
        props: { provides_network: 'true', netvm: 'sys-net', autostart: 'true' },
      }),
    );
    global('default_netvm', 'sys-firewall');
  }
  if (req.whonix) {
    for (const tpl of ['whonix-gw', 'whonix-ws']) {
      const tq = ctx.store.getQube(tpl);
      if (!tq || tq.klass !== 'template')
        throw new BulkheadError(
          'ERR_TEMPLATE',
          `template '${tpl}' does not exist; build it: bulkhead template build ${tpl} --flavor debian-12-${tpl === 'whonix-gw' ? 'gateway' : 'workstation'}`,
        );
    }
    if (!ctx.store.getQube('sys-firewall'))
      throw new BulkheadError('ERR_NETWORK', 'a gateway needs sys-firewall: run init --uplink lab or --uplink host first (or together)');
    await ensure('sys-whonix', async () => {
      await createQube(ctx, {
        name: 'sys-whonix',
        klass: 'app',
        label: 'black',
        template: 'whonix-gw',
        props: { provides_network: 'true', netvm: 'sys-firewall', autostart: 'true' },
      });
      setFeature(ctx, 'sys-whonix', 'gateway', 'tor');
      // The network profile follows the uplink: the lab's own Tor network behind the lab; the real one otherwise (never started by this build).
      const sys = ctx.store.system();
      await setProperty(ctx, 'sys-whonix', 'tor_network', uplinkOf(sys, sys.qubes.get('sys-whonix')!) === 'lab' ? 'lab' : 'public');
    });
    // Disposables of anonymous qubes (and of their disposables) come from whonix-dvm, behind sys-whonix.
    await ensure('whonix-dvm', () =>
      createQube(ctx, {
        name: 'whonix-dvm',
        klass: 'app',
        label: 'red',
        template: 'whonix-ws',
        props: { template_for_dispvms: 'true', netvm: 'sys-whonix', default_dispvm: 'whonix-dvm' },
        tags: ['anon-vm'],
      }),
    );
    await ensure('anon-whonix', () =>
      createQube(ctx, {
        name: 'anon-whonix',
        klass: 'app',
        label: 'red',
        template: 'whonix-ws',
        props: { netvm: 'sys-whonix', default_dispvm: 'whonix-dvm' },
        tags: ['anon-vm'],
      }),
    );
    await repairWhonixDispvms(ctx);
  }
  await ensure('default-dvm', () => createQube(ctx, { name: 'default-dvm', klass: 'app', label: 'red', template, props: { template_for_dispvms: 'true' } }));
  global('default_dispvm', 'default-dvm');
  return report;
}

/** An install made before the Tor rule: kept whonix-dvm and anon-whonix get whonix-dvm behind sys-whonix as their disposable template. */
async function repairWhonixDispvms(ctx: DaemonContext): Promise<void> {
  const dvm = ctx.store.getQube('whonix-dvm');
  if (!dvm || dvm.klass !== 'app') return;
  if (netPath(ctx.store.system(), dvm).reach === 'clearnet') await setProperty(ctx, 'whonix-dvm', 'netvm', 'sys-whonix');
  if (effective(dvm, 'template_for_dispvms', ctx.store.system()) !== true) return;
  for (const name of ['whonix-dvm', 'anon-whonix']) {
    const q = ctx.store.getQube(name);
    if (!q || q.props.default_dispvm === null) continue; // none, set by the user, stays
    const sys = ctx.store.system();
    const dd = effective(q, 'default_dispvm', sys);
    if (typeof dd !== 'string' || dispvmRefusal(sys, name, dd) !== null) await setProperty(ctx, name, 'default_dispvm', 'whonix-dvm');
  }
}
