// The desktop applications of a qube: the .desktop files of its template's root (never a path the qube itself can change).
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonContext } from '../../daemon/context.js';
import { rootSource } from '../../daemon/lifecycle/spec.js';
import { safeReadFileSync } from '../../hostfs/index.js';
import { volumePaths } from '../../storage/layout.js';
import { MAX_ENTRY_BYTES, parseDesktopEntry, type DesktopApp } from './desktop-entry.js';

const APPS_DIR = 'usr/share/applications';
const MAX_FILES = 1000;

export interface AppsAnswer {
  template: string;
  apps: DesktopApp[];
  /** Files that were refused (too large, a symlink, malformed), each with why: one bad file hides no other. */
  skipped: { file: string; why: string }[];
}

/** The applications of `qube`'s template, sorted by name; NoDisplay ones included, marked. */
export function qubeApps(ctx: DaemonContext, qube: string): AppsAnswer {
  const sys = ctx.store.system();
  const q = ctx.store.requireQube(qube);
  const tpl = rootSource(q, sys);
  const root = volumePaths(ctx.paths.qubesDir, tpl.name).rootfs;
  const out: AppsAnswer = { template: tpl.name, apps: [], skipped: [] };
  // Every directory on the way must be a real directory: a symlink planted by the template is not followed.
  let dir = root;
  for (const part of APPS_DIR.split('/')) {
    dir = join(dir, part);
    const st = lstatSync(dir, { throwIfNoEntry: false });
    if (!st?.isDirectory()) return out;
  }
  const names = readdirSync(dir)
    .filter((n) => n.endsWith('.desktop') && !n.startsWith('.'))
    .sort()
    .slice(0, MAX_FILES);
  for (const n of names) {
    const r = safeReadFileSync(root, `${APPS_DIR}/${n}`, MAX_ENTRY_BYTES);
    if (!r.ok) {
      out.skipped.push({ file: n, why: r.message });
      continue;
    }
    try {
      const app = parseDesktopEntry(n.slice(0, -'.desktop'.length), r.data.toString('utf8'), `${APPS_DIR}/${n}`);
      if (app) out.apps.push(app);
    } catch (e) {
      out.skipped.push({ file: n, why: e instanceof Error ? e.message : String(e) });
    }
  }
  out.apps.sort((a, b) => a.name.localeCompare(b.name));
  return out;
}
