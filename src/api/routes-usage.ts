// Admin API: what each qube uses now (memory and CPU time from its cgroup) and on disk (measured in the background, at most once a minute).
import type { FastifyInstance } from 'fastify';
import { join } from 'node:path';
import type { DaemonContext } from '../daemon/context.js';
import { runtimeId } from '../daemon/lifecycle/spec.js';
import { cgroupUsage, detectCgroupLayout } from '../runtime/ns/index.js';
import { treeUsage } from '../storage/du.js';
import type { QubeUsage } from '../contract/system.js';

const DISK_EVERY_MS = 60_000;

export function usageRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const layout = detectCgroupLayout();
  const disk = new Map<string, { bytes: number; at: number }>();
  let measuring = false;
  // One find at a time, oldest first: a table of 200 qubes never starts 200 walks.
  const measure = async (names: string[]) => {
    if (measuring) return;
    measuring = true;
    try {
      const due = names.filter((n) => (disk.get(n)?.at ?? 0) < Date.now() - DISK_EVERY_MS).sort((a, b) => (disk.get(a)?.at ?? 0) - (disk.get(b)?.at ?? 0));
      for (const n of due.slice(0, 20)) {
        const u = await treeUsage(join(ctx.paths.qubesDir, n)).catch(() => null);
        if (u) disk.set(n, { bytes: u.diskBytes, at: Date.now() });
      }
    } finally {
      measuring = false;
    }
  };
  app.get('/usage', async () => {
    const power = ctx.store.allPower();
    const names = [...ctx.store.system().qubes.keys()];
    void measure(names);
    const qubes: Record<string, QubeUsage> = {};
    for (const n of names) {
      const running = (power.get(n) ?? 'halted') !== 'halted';
      const cg = running ? cgroupUsage(layout, runtimeId(ctx, n)) : { memoryBytes: null, cpuNs: null };
      qubes[n] = { ...cg, diskBytes: disk.get(n)?.bytes ?? null };
    }
    return { time: Date.now(), qubes };
  });
}
