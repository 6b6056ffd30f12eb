// Verb volume list|info|revisions|revert|resize (qvm-volume): volumes of a qube and their sizes, revisions of its private volume or a template's root.
import { apiClient } from '../client.js';
import { table } from '../output.js';
import { passphraseFrom } from '../passphrase.js';

const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;

export async function volumeVerb(
  action: string,
  name: string | undefined,
  revision: string | undefined,
  extra: string | undefined,
  o: { json?: boolean; oldFile?: string; newFile?: string },
): Promise<string> {
  if (!name) throw new Error(`volume ${action}: give a qube name`);
  const c = apiClient();
  const params = { name };
  if (action === 'passphrase') {
    // The master key is rewrapped under the new passphrase; the data is not re-encrypted.
    const old = await passphraseFrom(o.oldFile, `current passphrase of ${name}`, false, '--old-file');
    const next = await passphraseFrom(o.newFile, `new passphrase of ${name}`, true, '--new-file');
    if (old === null || next === null) throw new Error('volume passphrase: give --old-file FILE and --new-file FILE (no terminal to ask on)');
    await c.call('qubes.passphrase', { params, body: { old, new: next } });
    return `passphrase of ${name} changed\n`;
  }
  if (action === 'list' || action === 'info') {
    const v = await c.call('volumes.list', { params });
    if (o.json) return JSON.stringify(v, null, 2) + '\n';
    const note = v.encrypted ? 'private volume encrypted at rest (fscrypt)\n' : '';
    return (
      table(
        v.volumes.map((x) => [
          `${name}:${x.kind}`,
          x.persistent ? 'yes' : 'no',
          mib(x.usage.diskBytes),
          x.sizeBytes === null ? 'unbounded' : `${mib(x.sizeBytes)} (${x.bound})`,
          x.path,
        ]),
        ['VOLUME', 'PERSISTENT', 'USED', 'LIMIT', 'PATH'],
      ) + note
    );
  }
  if (action === 'resize') {
    const [volume, size] = [revision, extra];
    if (!volume || !size) throw new Error('volume resize: give QUBE VOLUME SIZE (e.g. volume resize work private 4G)');
    const r = await c.call('volumes.resize', { params: { name, volume }, body: { size } });
    return `${name}:${r.volume} is now ${mib(r.sizeBytes)} (applied ${r.applied})\n`;
  }
  // `volume revisions|revert NAME root [REVISION]` works on a template's root; otherwise on the private volume.
  let volume = 'private';
  if (revision === 'root' || revision === 'private') {
    volume = revision;
    revision = extra;
  }
  if (action === 'revisions') {
    const r = await c.call(volume === 'root' ? 'volumes.rootRevisions' : 'volumes.privateRevisions', { params });
    if (o.json) return JSON.stringify(r.revisions, null, 2) + '\n';
    return r.revisions.map((x) => `${x.name}\n`).join('');
  }
  if (action === 'revert') {
    if (!revision && volume === 'private') throw new Error('volume revert: give a revision (see volume revisions)');
    const r = await (volume === 'root'
      ? c.call('volumes.rootRevert', { params, body: revision ? { revision } : {} })
      : c.call('volumes.privateRevert', { params, body: { revision: revision ?? '' } }));
    return `restored ${r.restored}; the state before is kept as revision ${r.savedAs}\n`;
  }
  throw new Error(`volume: unknown action '${action}' (list, info, revisions, revert, resize)`);
}
