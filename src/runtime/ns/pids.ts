// Watching a host process from outside: alive (not a zombie) and waiting until it is gone.
import { readFileSync } from 'node:fs';
import { pidAlive } from '../../exec/index.js';

export { pidAlive };

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

/** Whether the process sits in exactly this cgroup (any hierarchy: v2, or a v1 controller on a hybrid host). */
export function inCgroup(pid: number, cgroup: string): boolean {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return false;
  }
  return text.split('\n').some((line) => line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1) === cgroup);
}
