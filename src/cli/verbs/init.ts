// Verb init: Qubes' first-boot defaults (default-dvm; with --uplink lab also sys-net and sys-firewall).
import { apiClient } from '../client.js';

export async function initVerb(o: { uplink?: string; template?: string }): Promise<string> {
  const r = await apiClient().request<{ created: string[]; kept: string[]; globals: Record<string, string> }>('POST', '/init', { uplink: o.uplink, template: o.template });
  let out = '';
  for (const c of r.created) out += `created ${c}\n`;
  for (const k of r.kept) out += `kept ${k}\n`;
  for (const [k, v] of Object.entries(r.globals)) out += `${k} = ${v}\n`;
  return out;
}
