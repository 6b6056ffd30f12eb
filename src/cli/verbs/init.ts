// Verb init: Qubes' first-boot defaults (default-dvm; with --uplink lab also sys-net and sys-firewall).
import { apiClient } from '../client.js';

export async function initVerb(o: { uplink?: string; template?: string; whonix?: boolean }): Promise<string> {
  let out = '';
  if (o.whonix) {
    // Gateway and workstation templates (built once, then reused from the cache).
    const { templateVerb } = await import('./template.js');
    out += await templateVerb('build', 'whonix-gw', undefined, { flavor: 'debian-12-gateway' });
    out += await templateVerb('build', 'whonix-ws', undefined, { flavor: 'debian-12-workstation' });
  }
  const r = await apiClient().request<{ created: string[]; kept: string[]; globals: Record<string, string> }>('POST', '/init', { uplink: o.uplink, template: o.template, whonix: o.whonix });
  for (const c of r.created) out += `created ${c}\n`;
  for (const k of r.kept) out += `kept ${k}\n`;
  for (const [k, v] of Object.entries(r.globals)) out += `${k} = ${v}\n`;
  return out;
}
