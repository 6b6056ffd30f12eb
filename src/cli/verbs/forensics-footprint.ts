// `bulkhead forensics footprint [--json|--markdown]`: the footprint table for this host's state directory.
import { resolvePaths } from '../../daemon/paths.js';
import { footprintJson, footprintMarkdown, footprintTable, footprintText } from '../../features/forensics/footprint/index.js';

export async function footprintVerb(o: { json?: boolean; markdown?: boolean }): Promise<string> {
  const p = resolvePaths();
  const table = footprintTable({ cacheDir: p.cacheDir });
  if (o.markdown) return footprintMarkdown(footprintTable({ cacheDir: '/var/cache/bulkhead' }));
  return o.json ? footprintJson(table, p.home) : footprintText(table, p.home);
}
