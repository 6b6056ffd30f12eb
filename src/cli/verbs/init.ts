// Verb init: Qubes' first-boot defaults (default-dvm; with --uplink lab|host also sys-net and sys-firewall).
import { apiClient } from '../client.js';

export interface InitOptions {
  uplink?: string;
  template?: string;
  whonix?: boolean;
  nic?: string;
  mode?: string;
  address?: string;
  gateway?: string;
  dns?: string[];
}

export async function initVerb(o: InitOptions): Promise<string> {
  let out = '';
  if (o.whonix) {
    // Gateway and workstation templates (built once, then reused from the cache).
    const { templateVerb } = await import('./template.js');
    out += await templateVerb('build', 'whonix-gw', undefined, { flavor: 'debian-12-gateway' });
    out += await templateVerb('build', 'whonix-ws', undefined, { flavor: 'debian-12-workstation' });
  }
  const hostOpts = { nic: o.nic, mode: o.mode, address: o.address, gateway: o.gateway, dns: o.dns };
  const host = Object.values(hostOpts).some((v) => v !== undefined) ? hostOpts : undefined;
  const r = await apiClient().call('init', {
    // The daemon judges the uplink's name (its error names the field).
    body: { uplink: o.uplink as 'lab' | 'host' | undefined, template: o.template, whonix: o.whonix, host },
  });
  for (const c of r.created) out += `created ${c}\n`;
  for (const k of r.kept) out += `kept ${k}\n`;
  for (const [k, v] of Object.entries(r.globals)) out += `${k} = ${v}\n`;
  if (r.uplink) out += `sys-net uplink = ${r.uplink}\n`;
  return out;
}
