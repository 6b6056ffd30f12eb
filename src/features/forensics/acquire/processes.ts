// A frozen qube's processes (from its cgroup) and their memory, read through /proc/PID/mem as the host's root.
import { createHash } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dumpableRegions, parseMaps, parseStatus, type ProcStatus } from './proc-maps.js';

/** Memory dumped per process at most (a qube's processes are bounded by its maxmem anyway). */
export const MAX_DUMP_PER_PROCESS = 8 * 1024 * 1024 * 1024;
const BLOCK = 16 * 1024 * 1024;

/** cgroup.procs of the cgroup `pid` is in: the v1 memory hierarchy, else the v2 one. */
export function cgroupProcsFile(pid: number): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const v1 = lines.find((l) => /^\d+:memory:/.test(l));
  if (v1) return `/sys/fs/cgroup/memory${v1.slice(v1.indexOf(':memory:') + 8)}/cgroup.procs`;
  const v2 = lines.find((l) => l.startsWith('0::'));
  if (!v2) throw new Error(`no cgroup found for pid ${pid}`);
  const base = readFileSync('/proc/self/mountinfo', 'utf8').includes(' /sys/fs/cgroup/unified ') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup';
  return `${base}${v2.slice(3)}/cgroup.procs`;
}

export interface ProcessRecord extends ProcStatus {
  pid: number;
  /** Arguments as the kernel keeps them (NUL-separated there; here an array). */
  cmdline: string[];
  memory?: { file: string; maps: string; bytes: number; sha256: string; regions: number; unreadable: number; leftOut: number };
}

const readText = (p: string) => fsp.readFile(p, 'utf8').catch(() => '');

/** The processes of the qube whose init is `initPid`, each with status and command line. */
export async function listProcesses(initPid: number): Promise<ProcessRecord[]> {
  const pids = readFileSync(cgroupProcsFile(initPid), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .sort((a, b) => a - b);
  const out: ProcessRecord[] = [];
  for (const pid of pids) {
    const status = await readText(`/proc/${pid}/status`);
    if (!status) continue; // gone
    const cmd = await readText(`/proc/${pid}/cmdline`);
    out.push({ pid, ...parseStatus(status), cmdline: cmd.split('\0').filter((s, i, a) => s !== '' || i < a.length - 1) });
  }
  return out;
}

/**
 * Dumps the readable memory of `pid` into DIR/PID.mem (regions one after another) with
 * DIR/PID.maps (the kernel's map, plus the offset of each region in the .mem file). The process
 * is frozen: /proc/PID/mem needs no ptrace stop (gdb's gcore would wait forever for a frozen
 * task to stop), and no tool runs in the qube.
 */
export async function dumpMemory(pid: number, dir: string): Promise<NonNullable<ProcessRecord['memory']>> {
  const mapsText = await fsp.readFile(`/proc/${pid}/maps`, 'utf8');
  const { take, left } = dumpableRegions(parseMaps(mapsText), MAX_DUMP_PER_PROCESS);
  const memFile = join(dir, `${pid}.mem`);
  const mapsFile = join(dir, `${pid}.maps`);
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(BLOCK);
  const index: string[] = ['# start-end perms offset dev inode path | file_offset bytes_read'];
  let written = 0;
  let unreadable = 0;
  const mem = await fsp.open(`/proc/${pid}/mem`, 'r');
  const out = await fsp.open(memFile, 'wx', 0o600);
  try {
    for (const r of take) {
      const at = written;
      let addr = r.start;
      let ok = true;
      while (addr < r.end) {
        const n = Number(r.end - addr < BigInt(BLOCK) ? r.end - addr : BigInt(BLOCK));
        let got = 0;
        try {
          ({ bytesRead: got } = await mem.read(buf, 0, n, Number(addr)));
        } catch {
          ok = false;
        }
        if (!ok || got === 0) {
          ok = false;
          break;
        }
        await out.write(buf, 0, got, written);
        hash.update(buf.subarray(0, got));
        written += got;
        addr += BigInt(got);
      }
      if (!ok) unreadable++;
      index.push(
        `${r.start.toString(16)}-${r.end.toString(16)} ${r.perms} ${r.offset.toString(16)} ${r.dev} ${r.inode} ${r.path} | ${at} ${written - at}${ok ? '' : ' (unreadable)'}`,
      );
    }
    await out.sync();
  } finally {
    await out.close();
    await mem.close();
  }
  for (const r of left)
    index.push(`${r.start.toString(16)}-${r.end.toString(16)} ${r.perms} ${r.offset.toString(16)} ${r.dev} ${r.inode} ${r.path} | - 0 (not dumped)`);
  await fsp.writeFile(mapsFile, `${index.join('\n')}\n`, { mode: 0o600, flag: 'wx' });
  return { file: memFile, maps: mapsFile, bytes: written, sha256: hash.digest('hex'), regions: take.length, unreadable, leftOut: left.length };
}
