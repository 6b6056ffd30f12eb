// Long-lived tor (and helper) processes: started inside a network namespace, stopped by exactly their PIDs.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { BulkheadError } from '../../errors/index.js';

export interface LabProcess {
  pid: number;
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  /** Last output lines (for error messages). */
  tail(): string;
}

/**
 * Spawns `ip netns exec NETNS CMD ARGS` — ip execs the command in place, so the PID is the command's own.
 * stdin stays an open pipe: helpers that watch it exit when this process dies.
 */
export function spawnInNetns(netns: string, cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): LabProcess {
  const child = spawn('ip', ['netns', 'exec', netns, cmd, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  if (child.pid === undefined) throw new BulkheadError('ERR_EXEC', `cannot start ${cmd} in ${netns}`);
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString('utf8')).slice(-4096);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.stdin?.on('error', () => {});
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return { pid: child.pid, child, exited, tail: () => out };
}

export function isRunning(p: LabProcess): boolean {
  return p.child.exitCode === null && p.child.signalCode === null;
}

/** SIGTERM each process, SIGKILL those still alive after `timeoutMs`, and wait for all to exit. Returns the PIDs that needed SIGKILL. */
export async function stopProcesses(procs: readonly LabProcess[], timeoutMs = 5000): Promise<number[]> {
  const alive = procs.filter(isRunning);
  for (const p of alive) p.child.kill('SIGTERM');
  const timer = new Promise<void>((r) => setTimeout(r, timeoutMs).unref());
  await Promise.race([Promise.all(alive.map((p) => p.exited)), timer]);
  const left = alive.filter(isRunning);
  for (const p of left) p.child.kill('SIGKILL');
  await Promise.all(left.map((p) => p.exited));
  return left.map((p) => p.pid);
}

/** Resident memory of a PID in kB (0 if it is gone). */
export async function rssKb(pid: number): Promise<number> {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Direct children of a PID (e.g. the obfs4proxy a tor started). */
export async function childPids(pid: number): Promise<number[]> {
  try {
    const tasks = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return tasks.trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
