// First-boot set-up as Qubes does it: default template, default-dvm, and with an uplink sys-net and sys-firewall.
import { BulkheadError } from '../../errors/index.js';
import type { DaemonContext } from '../context.js';
import { createQube, setFeature, setGlobal } from './manage.js';

export interface InitRequest { template?: string; uplink?: 'lab' | 'host' | null }
export interface InitReport { created: string[]; kept: string[]; globals: Record<string, string> }

export async function initSystem(ctx: DaemonContext, req: InitRequest): Promise<InitReport> {
  const report: InitReport = { created: [], kept: [], globals: {} };
  const g = ctx.store.globals();
  const template = req.template ?? (typeof g.default_template === 'string' ? g.default_template : 'debian-12');
  const t = ctx.store.getQube(template);
  if (!t || t.klass !== 'template') {
    throw new BulkheadError('ERR_TEMPLATE', `template '${template}' does not exist; build it first: bulkhead template build ${template}`);
  }
  if (req.uplink === 'host') throw new BulkheadError('ERR_NETWORK', "uplink 'host' is for real machines and is not wired by this build; use --uplink lab");
  const ensure = async (name: string, make: () => Promise<unknown>) => {
    if (ctx.store.getQube(name)) { report.kept.push(name); return; }
    await make();
    report.created.push(name);
  };
  const global = (key: string, value: string) => {
    if (ctx.store.globals()[key] !== value) setGlobal(ctx, key, value);
    report.globals[key] = value;
  };
  global('default_template', template);
  if (req.uplink === 'lab') {
    await ensure('sys-net', async () => {
      await createQube(ctx, { name: 'sys-net', klass: 'app', label: 'red', template, props: { provides_network: 'true', netvm: 'none' } });
      setFeature(ctx, 'sys-net', 'uplink', 'lab');
    });
    await ensure('sys-firewall', () => createQube(ctx, { name: 'sys-firewall', klass: 'app', label: 'green', template, props: { provides_network: 'true', netvm: 'sys-net' } }));
    global('default_netvm', 'sys-firewall');
  }
  await ensure('default-dvm', () => createQube(ctx, { name: 'default-dvm', klass: 'app', label: 'red', template, props: { template_for_dispvms: 'true' } }));
  global('default_dispvm', 'default-dvm');
  return report;
}
