// The footprint as text, JSON and the Markdown table of docs/forensics.md (pure).
import type { Artefact, Layer } from './types.js';

export const LAYERS: readonly Layer[] = ['host', 'kernel', 'qube', 'gateway', 'workstation', 'lab'];

/** The path an examiner looks at: state-scope patterns below `home`, the rest as they are. */
export function absolutePattern(a: Artefact, home: string): string {
  if (a.scope !== 'state') return a.pattern.replace('STATE', home);
  return a.pattern === '.' ? home : `${home}/${a.pattern}`;
}

const yesNo = (b: boolean | null): string => (b === null ? '-' : b ? 'yes' : 'no');

/** One entry with its paths and commands made concrete for `home`. */
export function concrete(a: Artefact, home: string): Artefact & { path: string } {
  return { ...a, path: absolutePattern(a, home), show: a.show.replaceAll('STATE', home) };
}

export function footprintJson(table: readonly Artefact[], home: string): string {
  return `${JSON.stringify({ stateDirectory: home, artefacts: table.map((a) => concrete(a, home)) }, null, 2)}\n`;
}

export function footprintText(table: readonly Artefact[], home: string): string {
  let out = `bulkhead's footprint (state directory ${home})\n`;
  for (const layer of LAYERS) {
    const rows = table.filter((a) => a.layer === layer);
    if (!rows.length) continue;
    out += `\n== ${layer}\n`;
    for (const a of rows) {
      const c = concrete(a, home);
      out += `${c.path}\n  ${c.reveals}\n  survives qube removal: ${yesNo(a.survivesRemoval)}, reboot: ${yesNo(a.survivesReboot)}; encrypted at rest: ${yesNo(a.encrypted)}; present: ${a.presence}\n  show: ${c.show}\n`;
    }
  }
  return out;
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The Markdown table (docs/forensics.md holds it between markers; a test compares). */
export function footprintMarkdown(table: readonly Artefact[]): string {
  const home = '$BULKHEAD_HOME';
  const lines = ['| layer | path or pattern | what it reveals | survives removal | survives reboot | encrypted | show it |', '|---|---|---|---|---|---|---|'];
  for (const layer of LAYERS) {
    for (const a of table.filter((x) => x.layer === layer)) {
      const c = concrete(a, home);
      lines.push(
        `| ${layer} | \`${cell(c.path)}\` | ${cell(c.reveals)} | ${yesNo(a.survivesRemoval)} | ${yesNo(a.survivesReboot)} | ${yesNo(a.encrypted)} | \`${cell(c.show)}\` |`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
