// cgroup layout of the host (pure v2, hybrid v1/v2, or v1) and the per-qube cgroup directories crun creates.
import { CGROUP_PARENT } from './host-paths.js';
import { existsSync, lstatSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';

export type CgroupLayout = 'v2' | 'hybrid' | 'v1';

const ROOT = '/sys/fs/cgroup';

/** Pure v2 has cgroup.controllers at the root; hybrid has a v2 mount at /sys/fs/cgroup/unified. */
export function detectCgroupLayout(root = ROOT): CgroupLayout {
  if (existsSync(`${root}/cgroup.controllers`)) return 'v2';
  if (existsSync(`${root}/unified/cgroup.controllers`)) return 'hybrid';
  return 'v1';
}

/** Every directory that may hold the cgroup `path` (absolute, e.g. /bulkhead/ID). */
export function cgroupDirs(layout: CgroupLayout, path: string, root = ROOT): string[] {
  if (layout === 'v2') return [`${root}${path}`];
  const dirs: string[] = [];
  for (const name of readdirSync(root)) {
    if (name === 'unified') continue;
    const st = lstatSync(`${root}/${name}`);
    if (st.isDirectory()) dirs.push(`${root}/${name}${path}`);
  }
  return dirs;
}

/** True when the qube's processes are frozen (`crun pause`). */
export function isFrozen(layout: CgroupLayout, path: string, root = ROOT): boolean {
  try {
    if (layout === 'v2') return readFileSync(`${root}${path}/cgroup.freeze`, 'utf8').trim() === '1';
    return readFileSync(`${root}/freezer${path}/freezer.state`, 'utf8').trim() !== 'THAWED';
  } catch {
    return false;
  }
}

/**
 * Removes the qube's cgroup directories when crun left them. A directory that still holds
 * processes or children stays and is reported. The shared parent is not touched here: removing
 * it while another qube starts would race with crun creating it (see removeEmptyCgroupParent).
 */
export function removeCgroupDirs(layout: CgroupLayout, path: string, root = ROOT): string[] {
  const left: string[] = [];
  for (const dir of cgroupDirs(layout, path, root)) {
    if (!rmdirQuiet(dir)) left.push(dir);
  }
  return left;
}

/** Removes the parent cgroup of all qubes (e.g. /bulkhead) where it is empty; for daemon shutdown. */
export function removeEmptyCgroupParent(layout: CgroupLayout = detectCgroupLayout(), parent = CGROUP_PARENT, root = ROOT): void {
  for (const dir of cgroupDirs(layout, parent, root)) rmdirQuiet(dir, true);
}

/** rmdir that treats "already gone" as success; with `busyOk` an occupied directory is fine too. */
function rmdirQuiet(dir: string, busyOk = false): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    if (busyOk && (code === 'EBUSY' || code === 'ENOTEMPTY')) return true;
    return false;
  }
}
