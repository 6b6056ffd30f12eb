// Modes of the state directory: nothing below it is readable by another host user; only the path to a qube's run dir is searchable.
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Paths } from './paths.js';

/**
 * Directories that stay searchable (0711: no listing, no reading) because a qube's root has to
 * pass them on the way to its own run dir (run/qubes/NAME, 0710 root:uidBase; see
 * runtime/ns/host-fs.ts for what crun was measured to need).
 */
export function traversableDirs(p: Paths): string[] {
  return [p.home, p.runDir, join(p.runDir, 'qubes')];
}

/**
 * Creates the searchable path and takes group and other bits off every other entry at the top of
 * the state directory (state.db and its -wal/-shm, the log, qubes/, lab/, policy.d/, admin/ ...),
 * also where an older version or the admin by hand made them readable.
 */
export function lockStateDir(p: Paths): void {
  const keep = new Set(traversableDirs(p));
  for (const d of keep) {
    mkdirSync(d, { recursive: true, mode: 0o711 });
    chmodSync(d, 0o711);
  }
  for (const name of readdirSync(p.home)) {
    const full = join(p.home, name);
    if (keep.has(full)) continue;
    const st = lstatSync(full);
    if (st.isSymbolicLink()) continue; // chmod would follow it
    if ((st.mode & 0o077) !== 0) chmodSync(full, st.mode & 0o7700);
  }
}
