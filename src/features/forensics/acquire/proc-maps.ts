// Parses /proc/PID/maps and /proc/PID/status and picks the memory regions worth dumping (pure).

export interface MapRegion {
  start: bigint;
  end: bigint;
  perms: string;
  offset: bigint;
  dev: string;
  inode: number;
  path: string;
}

export function parseMaps(text: string): MapRegion[] {
  const out: MapRegion[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) (\S+) (\d+)\s*(.*)$/.exec(line);
    if (!m) continue;
    out.push({
      start: BigInt(`0x${m[1]}`),
      end: BigInt(`0x${m[2]}`),
      perms: m[3] as string,
      offset: BigInt(`0x${m[4]}`),
      dev: m[5] as string,
      inode: Number(m[6]),
      path: (m[7] ?? '').trim(),
    });
  }
  return out;
}

/**
 * Regions read from /proc/PID/mem: readable ones, except those the kernel refuses or that are not
 * the process's memory ([vvar], [vsyscall], device mappings), up to `maxBytes` per process.
 */
export function dumpableRegions(regions: readonly MapRegion[], maxBytes: number): { take: MapRegion[]; left: MapRegion[] } {
  const take: MapRegion[] = [];
  const left: MapRegion[] = [];
  let total = 0n;
  for (const r of regions) {
    const skip = r.perms[0] !== 'r' || r.path === '[vvar]' || r.path === '[vvar_vclock]' || r.path === '[vsyscall]' || r.path.startsWith('/dev/');
    const size = r.end - r.start;
    if (skip || total + size > BigInt(maxBytes)) {
      left.push(r);
      continue;
    }
    total += size;
    take.push(r);
  }
  return { take, left };
}

export interface ProcStatus {
  name: string;
  ppid: number;
  uid: string;
  gid: string;
  vmRssKiB: number | null;
  state: string;
}

export function parseStatus(text: string): ProcStatus {
  const f = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  const rss = /^VmRSS:\s*(\d+)/m.exec(text);
  return { name: f('Name'), ppid: Number(f('PPid')), uid: f('Uid'), gid: f('Gid'), vmRssKiB: rss ? Number(rss[1]) : null, state: f('State') };
}
