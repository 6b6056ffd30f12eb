// Verb volume list|revisions|revert (qvm-volume): volumes of a qube, revisions of its private volume or a template's root.
import { apiClient } from '../client.js';
import { table } from '../output.js';

interface VolInfo { volumes: { kind: string; path: string; persistent: boolean; usage: { diskBytes: number } }[] }

const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;

export async function volumeVerb(action: string, name: string | undefined, revision: string | undefined, extra: string | undefined, o: { json?: boolean }): Promise<string> {
  if (!name) throw new Error(`volume ${action}: give a qube name`);
  const c = apiClient();
  const base = `/qubes/${encodeURIComponent(name)}/volumes`;
  if (action === 'list') {
    const v = await c.request<VolInfo>('GET', base);
    if (o.json) return JSON.stringify(v, null, 2) + '\n';
    return table(v.volumes.map((x) => [`${name}:${x.kind}`, x.persistent ? 'yes' : 'no', mib(x.usage.diskBytes), x.path]), ['VOLUME', 'PERSISTENT', 'SIZE', 'PATH']);
  }
  // `volume revisions|revert NAME root [REVISION]` works on a template's root; otherwise on the private volume.
  let volume = 'private';
  if (revision === 'root' || revision === 'private') {
    volume = revision;
    revision = extra;
  }
  if (action === 'revisions') {
    const r = await c.request<{ revisions: { name: string; createdAt: string }[] }>('GET', `${base}/${volume}/revisions`);
    if (o.json) return JSON.stringify(r.revisions, null, 2) + '\n';
    return r.revisions.map((x) => `${x.name}\n`).join('');
  }
  if (action === 'revert') {
    if (!revision && volume === 'private') throw new Error('volume revert: give a revision (see volume revisions)');
    const r = await c.request<{ restored: string; savedAs: string }>('POST', `${base}/${volume}/revert`, revision ? { revision } : {});
    return `restored ${r.restored}; the state before is kept as revision ${r.savedAs}\n`;
  }
  throw new Error(`volume: unknown action '${action}' (list, revisions, revert)`);
}
