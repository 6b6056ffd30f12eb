// The lab's long-lived servers: started detached inside a namespace, waited for until they listen, stopped by exactly their PIDs.
import { pollFor, procStat as readProcStat, sleep } from '../exec/index.js';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile, readlink } from 'node:fs/promises';
import { BulkheadError } from '../errors/index.js';
import { netnsInode } from '../net/index.js';
import type { LabProcRecord } from './state.js';

/** Field 22 of /proc/PID/stat (start time in clock ticks, as the lab's records keep it) and the state letter; undefined if the PID is gone. */
export async function procStat(pid: number): Promise<{ startTime: number; state: string } | undefined> {
  const s = readProcStat(pid);
  return s ? { state: s.state, startTime: Number(s.startTime) } : undefined;
}

/** Alive = exists and is not a zombie. */
async function alive(pid: number, startTime: number): Promise<boolean> {
  const s = await procStat(pid);
  return s !== undefined && s.startTime === startTime && s.state !== 'Z' && s.state !== 'X';
}

/**
 * Is this record still the process the lab started: same start time and (if the namespace still
 * exists) inside that namespace? A recycled PID never matches.
 */
export async function isLabProcess(p: LabProcRecord): Promise<boolean> {
  if (!(await alive(p.pid, p.startTime))) return false;
  const ino = await netnsInode(p.netns);
  if (ino === undefined) return true;
  const link = await readlink(`/proc/${p.pid}/ns/net`).catch(() => '');
  return link === `net:[${ino}]`;
}

/**
 * Start `cmd args` inside `netns` with `ip netns exec` (which execs in place, so the PID is the
 * program's own), detached from this process so it outlives the CLI; output goes to `logFile`.
 */
export async function startDetached(name: string, netns: string, cmd: string, args: readonly string[], logFile: string): Promise<LabProcRecord> {
  const fd = openSync(logFile, 'a', 0o600);
  let pid: number | undefined;
  try {
    const child = spawn('ip', ['netns', 'exec', netns, cmd, ...args], { detached: true, stdio: ['ignore', fd, fd] });
    child.on('error', () => {});
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(fd);
  }
  if (pid === undefined) throw new BulkheadError('ERR_EXEC', `cannot start ${name} (${cmd}) in ${netns}`);
  const s = await procStat(pid);
  if (!s) throw new BulkheadError('ERR_EXEC', `${name} (${cmd}) in ${netns} exited at once; see ${logFile}`);
  return { name, pid, startTime: s.startTime, netns };
}

/** Ports (tcp in LISTEN, udp bound) of the namespace that `pid` is in, from /proc/PID/net/{tcp,udp}. */
async function boundPorts(pid: number, proto: 'tcp' | 'udp'): Promise<Set<number>> {
  const ports = new Set<number>();
  let text = '';
  try {
    text = await readFile(`/proc/${pid}/net/${proto}`, 'utf8');
  } catch {
    return ports;
  }
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const local = f[1];
    const st = f[3];
    if (!local || !st) continue;
    if (proto === 'tcp' && st !== '0A') continue;
    ports.add(parseInt(local.split(':')[1] ?? '', 16));
  }
  return ports;
}

/** Wait until the process listens on every port given (tcp LISTEN / udp bound), or fail with its log's tail. */
export async function waitListening(p: LabProcRecord, want: { tcp?: number[]; udp?: number[] }, logFile: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!(await alive(p.pid, p.startTime))) {
      const tail = await readFile(logFile, 'utf8').then(
        (t) => t.trim().split('\n').slice(-3).join(' | '),
        () => '',
      );
      throw new BulkheadError('ERR_EXEC', `lab ${p.name} (pid ${p.pid}) exited while starting: ${tail}`);
    }
    const [tcp, udp] = await Promise.all([boundPorts(p.pid, 'tcp'), boundPorts(p.pid, 'udp')]);
    if ((want.tcp ?? []).every((x) => tcp.has(x)) && (want.udp ?? []).every((x) => udp.has(x))) return;
    if (Date.now() > deadline) throw new BulkheadError('ERR_TIMEOUT', `lab ${p.name} (pid ${p.pid}) did not listen within ${timeoutMs} ms`);
    await sleep(5);
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; only if the PID is still the lab's process. Returns whether it was ours and is gone. */
export async function stopLabProcess(p: LabProcRecord, graceMs = 1500): Promise<'stopped' | 'gone' | 'foreign'> {
  if (!(await alive(p.pid, p.startTime))) return 'gone';
  if (!(await isLabProcess(p))) return 'foreign';
  return killAndWait(p.pid, p.startTime, graceMs);
}

/** Signal a PID whose start time we just read, and wait until it is gone. */
export async function killAndWait(pid: number, startTime: number, graceMs = 1500): Promise<'stopped' | 'gone'> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'gone';
  }
  if (await pollFor(async () => !(await alive(pid, startTime)), graceMs, 10)) return 'stopped';
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'stopped';
  }
  if (await pollFor(async () => !(await alive(pid, startTime)), 5000, 10)) return 'stopped';
  throw new BulkheadError('ERR_EXEC', `pid ${pid} did not exit after SIGKILL`);
}
