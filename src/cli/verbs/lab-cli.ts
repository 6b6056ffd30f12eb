// Verb lab up|down|status: asks the daemon, which owns the lab world under its own prefix.
import { apiClient } from '../client.js';

export async function labVerb(action: string, o: { json?: boolean; tor?: boolean }): Promise<{ stdout: string; exitCode: number }> {
  if (!['up', 'down', 'status'].includes(action)) throw new Error(`lab: unknown action '${action}' (up, down, status)`);
  const q = `?json=${o.json ? 'true' : 'false'}${action === 'up' ? `&tor=${o.tor === false ? 'false' : 'true'}` : ''}`;
  const c = apiClient();
  return action === 'status' ? c.request('GET', `/lab/status${q}`) : c.request('POST', `/lab/${action}${q}`, {});
}
