// Verb check WORKSTATION [--json]: Whonix's systemcheck, run by the daemon; exit code 1 when any check fails.
import { apiClient } from '../client.js';
import type { CheckReport } from '../../contract/whonix.js';

export function formatCheckReport(r: CheckReport): string {
  const lines = [`bulkhead check ${r.workstation} (gateway ${r.gateway}, network profile ${r.network})`];
  if (r.tor)
    lines.push(`tor in ${r.gateway}: ${r.tor.state} since ${r.tor.since}${r.tor.restarts ? ` (restarted ${r.tor.restarts} times by its supervisor)` : ''}`);
  for (const c of r.checks) {
    if (c.skipped !== undefined) lines.push(`- ${c.title} [lab]`, `    skipped: ${c.skipped}`);
    else lines.push(`${c.ok ? '✓' : '✗'} ${c.title}`, `    ${c.detail}`);
  }
  const ran = r.checks.filter((c) => c.skipped === undefined);
  const skipped = r.checks.length - ran.length;
  const failed = ran.filter((c) => !c.ok).length;
  const took = `${(r.ms / 1000).toFixed(1)} s${skipped ? `; ${skipped} lab checks skipped` : ''}`;
  lines.push(failed === 0 ? `all ${ran.length} checks passed (${took})` : `${failed} of ${ran.length} checks FAILED (${took})`);
  return lines.join('\n') + '\n';
}

export async function checkVerb(name: string, o: { json?: boolean }): Promise<{ stdout: string; exitCode: number }> {
  const r = await apiClient().call('qubes.check', { params: { name } });
  return { stdout: o.json ? JSON.stringify(r, null, 2) + '\n' : formatCheckReport(r), exitCode: r.ok ? 0 : 1 };
}
