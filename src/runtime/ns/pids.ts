// Watching a host process from outside: alive (not a zombie) and waiting until it is gone.
import { readFileSync } from 'node:fs';

/** True while /proc/PID exists and the process is not a zombie. */
export function pidAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** Resolves true once the process is gone, false after timeoutMs. Polls briefly at first, then less often. */
export async function waitPidGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  for (;;) {
    if (!pidAlive(pid)) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise((r) => setTimeout(r, Math.min(delay, left)));
    delay = Math.min(delay * 2, 20);
  }
}
