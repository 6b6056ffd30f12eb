// Shared set-up of the core acceptance tests and benchmark: a daemon with the debian-12 template, and host-side views (crun, mounts, cgroups, API).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testDaemon, type TestDaemon } from './helpers/daemon.js';
import { rawRequest } from '../../src/cli/client.js';
import { TEST_TARBALL as TEMPLATE_TARBALL } from '../support/cache.js';

export { TEMPLATE_TARBALL };

export interface CoreDaemon extends TestDaemon {
  /** This state directory's prefix of kernel objects (crun ids `${prefix}-NAME`). */
  prefix: string;
  /** The admin API over the daemon's socket. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

/** A daemon on a private state directory, with the debian-12 template imported from the cached tarball. */
export async function coreDaemon(tag: string, opts: { home?: string } = {}): Promise<CoreDaemon> {
  const d = testDaemon(tag, opts) as CoreDaemon;
  d.api = (method, path, body) => apiCall(join(d.home, 'admin', 'admin.sock'), method, path, body);
  d.start();
  if (!existsSync(TEMPLATE_TARBALL)) throw new Error(`template tarball ${TEMPLATE_TARBALL} is missing (scripts/test-rootfs makes it)`);
  d.ok(['template', 'import', 'debian-12', TEMPLATE_TARBALL], undefined, 300_000);
  const v = await d.api<{ prefix: string }>('GET', '/version');
  d.prefix = v.body.prefix;
  if (!/^bh[0-9a-f]{4}$/.test(d.prefix)) throw new Error(`unexpected prefix ${d.prefix}`);
  return d;
}

/** The admin API with status codes (the CLI's own request function). */
export const apiCall = rawRequest;

export interface CrunEntry {
  id: string;
  pid: number;
  status: string;
  bundle: string;
}

/** Containers in crun's default state root whose id starts with `prefix` (read by crun itself). */
export function crunList(prefix: string): CrunEntry[] {
  const r = spawnSync('crun', ['list', '--format=json'], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`crun list failed: ${r.stderr}`);
  const all = JSON.parse(r.stdout || '[]') as CrunEntry[];
  return all.filter((e) => e.id.startsWith(prefix));
}

export function crunState(id: string): CrunEntry | null {
  const r = spawnSync('crun', ['state', id], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) return null;
  return JSON.parse(r.stdout) as CrunEntry;
}

/** Mount points (field 2 of /proc/mounts) that contain `needle`. */
export function mountsWith(needle: string): string[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.includes(needle));
}

/** cgroup directories (any hierarchy, v1 or v2) whose name contains `needle`, searched two levels under each hierarchy. */
export function cgroupDirsWith(needle: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = `${dir}/${e.name}`;
      if (e.name.includes(needle)) found.push(p);
      if (depth > 0) walk(p, depth - 1);
    }
  };
  walk('/sys/fs/cgroup', 3);
  return found;
}

/** Network namespaces known to `ip netns` whose name contains `needle`. */
export function netnsWith(needle: string): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 10_000 });
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.includes(needle));
}

export interface LsEntry {
  name: string;
  state: string;
  klass: string;
  label: string;
  template: string | null;
  netvm: string | null;
}

export function lsJson(d: TestDaemon): LsEntry[] {
  return JSON.parse(d.ok(['ls', '--json'])) as LsEntry[];
}

/** The memory cgroup directory of a running crun container (v2 or the v1 memory hierarchy). */
export function memoryCgroupOf(pid: number): string | null {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const v1 = lines.find((l) => /^\d+:memory:/.test(l));
  if (v1) return `/sys/fs/cgroup/memory${v1.slice(v1.indexOf(':memory:') + 8)}`;
  const v2 = lines.find((l) => l.startsWith('0::'));
  if (v2 && existsSync('/sys/fs/cgroup/cgroup.controllers')) return `/sys/fs/cgroup${v2.slice(3)}`;
  return null;
}

/** Bytes charged to a memory cgroup (memory.current on v2, memory.usage_in_bytes on v1). */
export function memoryCharged(dir: string): number {
  for (const f of ['memory.current', 'memory.usage_in_bytes']) {
    try {
      return Number(readFileSync(`${dir}/${f}`, 'utf8').trim());
    } catch {
      /* next */
    }
  }
  throw new Error(`no memory accounting file in ${dir}`);
}
