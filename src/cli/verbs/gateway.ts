// Verb gateway bridges set|list|clear GATEWAY: the bridges a gateway's tor enters the Tor network through.
import { readFile } from 'node:fs/promises';
import { apiClient } from '../client.js';
import type { BridgesView } from '../../contract/whonix.js';

const show = (v: BridgesView) =>
  `${v.gateway} (network profile ${v.network}): ${v.bridges.length ? `${v.bridges.length} bridge${v.bridges.length > 1 ? 's' : ''}` : 'no bridges (tor connects directly)'}\n` +
  v.bridges.map((b) => `  Bridge ${b}\n`).join('');

export async function bridgesVerb(action: string, gateway: string, lines: string[], o: { file?: string; json?: boolean }): Promise<string> {
  const params = { name: gateway };
  let v: BridgesView;
  switch (action) {
    case 'list':
      v = await apiClient().call('bridges.get', { params });
      break;
    case 'set': {
      if (o.file !== undefined && lines.length) throw new Error('bridges set: give bridge lines or --file, not both');
      if (o.file === undefined && !lines.length) throw new Error('bridges set: give bridge lines (each one argument) or --file FILE');
      // A file's lines go as they are (comments, blanks) so an error names the line number in the file.
      const body =
        o.file !== undefined
          ? { lines: (await readFile(o.file, 'utf8')).replace(/\n$/, '').split('\n'), source: 'line' as const }
          : { lines, source: 'argument' as const };
      v = await apiClient().call('bridges.set', { params, body });
      break;
    }
    case 'clear':
      v = await apiClient().call('bridges.clear', { params });
      break;
    default:
      throw new Error(`gateway bridges: unknown action '${action}' (set, list, clear)`);
  }
  return o.json ? JSON.stringify(v, null, 2) + '\n' : show(v);
}
