// Verb forensics residue: runs the residue proof in the daemon and prints where the canaries were found.
import { apiClient } from '../client.js';
import { table } from '../output.js';
import type { Place, ResidueReport, ResidueRequest } from '../../contract/forensics.js';

const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;

export function formatResidue(r: ResidueReport): string {
  const lines: string[] = [];
  lines.push(
    `disposable ${r.disposable.name} from ${r.disposable.template} (${r.disposable.amnesic ? 'amnesic: RAM only' : 'amnesic=false: private volume on disk'})`,
  );
  lines.push(`canary sha256 ${r.canarySha256}; control sha256 ${r.controlSha256}`);
  lines.push(`written: ${r.writes.map((w) => `${w.place}${w.ok ? '' : ' (FAILED)'}`).join(', ')}`);
  lines.push(`swap: ${r.swap}`, '');
  lines.push(
    table(
      r.scans.map((s) => [
        s.place,
        s.root,
        s.scanned
          ? `${s.files ? `${s.files} files, ` : ''}${mib(s.bytes)} in ${s.seconds.toFixed(2)} s${s.seconds > 0.05 ? ` (${(s.bytes / 1048576 / s.seconds).toFixed(0)} MiB/s)` : ''}`
          : `not scanned: ${s.note}`,
        String(s.counts.disposable),
        String(s.counts.control),
      ]),
      ['PLACE', 'ROOT', 'SCANNED', 'CANARY', 'CONTROL'],
    ).trimEnd(),
  );
  // The disposable's hits first, at most 5 per canary and place (the control alone finds thousands).
  const hits = r.scans.flatMap((s) =>
    (['disposable', 'control'] as const).flatMap((c) => {
      const of = s.hits.filter((h) => h.canary === c);
      const more = s.counts[c] - Math.min(5, of.length);
      return [
        ...of.slice(0, 5).map((h) => `  ${c} canary at ${h.path ?? h.device} offset ${h.offset}`),
        ...(more > 0 ? [`  … ${more} more ${c} hits in ${s.root}`] : []),
      ];
    }),
  );
  if (hits.length) lines.push('', 'hits:', ...hits);
  lines.push('');
  if (r.controlFound === false) lines.push('INVALID: the deleted control file was not found on the raw device, so the scan does not see deleted data here');
  if (r.found) lines.push(`RESIDUE: the disposable's canary is still on the host${r.disposable.amnesic ? '' : ' (expected: its template sets amnesic=false)'}`);
  else
    lines.push(
      `no residue: the disposable's canary is nowhere that was scanned${r.controlFound ? ' (the deleted control file was found, so deleted data would have been seen)' : ''}`,
    );
  return `${lines.join('\n')}\n`;
}

export async function residueVerb(o: {
  template?: string;
  device?: string;
  only?: string;
  bytes?: string;
  json?: boolean;
}): Promise<{ stdout: string; exitCode: number }> {
  const body: ResidueRequest = {};
  if (o.template) body.template = o.template;
  if (o.device) body.device = o.device;
  if (o.only)
    body.places = o.only
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean) as Place[]; // the daemon judges the names (its error names the field)
  if (o.bytes) {
    if (!/^\d+$/.test(o.bytes)) throw new Error(`--bytes: '${o.bytes}' is not a number of bytes`);
    body.bytes = Number(o.bytes);
  }
  const r = await apiClient().call('forensics.residue', { body });
  // Exit 0: no residue; 1: residue found; 3: the control was not found (the proof does not hold).
  const exitCode = r.controlFound === false ? 3 : r.found ? 1 : 0;
  return { stdout: o.json ? `${JSON.stringify(r, null, 2)}\n` : formatResidue(r), exitCode };
}
