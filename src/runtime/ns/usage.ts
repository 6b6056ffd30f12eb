// What a running qube uses now, from its cgroup: memory in bytes and CPU time so far (v2, or v1's memory and cpuacct).
import { readFileSync } from 'node:fs';
import type { CgroupLayout } from './cgroups.js';
import { CGROUP_PARENT } from './host-paths.js';

export interface CgroupUsage {
  memoryBytes: number | null;
  /** CPU time of every process of the qube since its start, nanoseconds. */
  cpuNs: number | null;
}

const num = (file: string): number | null => {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
};

/** Usage of the crun container `id` (its cgroup is CGROUP_PARENT/id); nulls when it has no cgroup (stopped). */
export function cgroupUsage(layout: CgroupLayout, id: string, root = '/sys/fs/cgroup'): CgroupUsage {
  const path = `${CGROUP_PARENT}/${id}`;
  if (layout === 'v2') {
    let cpuNs: number | null = null;
    try {
      const m = /^usage_usec (\d+)$/m.exec(readFileSync(`${root}${path}/cpu.stat`, 'utf8'));
      cpuNs = m ? Number(m[1]) * 1000 : null;
    } catch {
      /* no cgroup */
    }
    return { memoryBytes: num(`${root}${path}/memory.current`), cpuNs };
  }
  return { memoryBytes: num(`${root}/memory${path}/memory.usage_in_bytes`), cpuNs: num(`${root}/cpuacct${path}/cpuacct.usage`) };
}
