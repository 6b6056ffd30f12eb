// A process remembered by its pid and its kernel start time, so that a reused pid is never taken for it.
import { readFileSync } from 'node:fs';

export interface PidRecord {
  pid: number;
  start: string;
}

/** /proc/PID/stat as the one reader sees it: the state letter and the start time in clock ticks since boot (field 22); null when the pid is gone. */
export function procStat(pid: number): { state: string; startTime: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and ')': the fields after it start at the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '?', startTime: fields[19] ?? '' };
  } catch {
    return null;
  }
}

/** True while the process exists and is not a zombie. */
export function pidAlive(pid: number): boolean {
  const s = procStat(pid);
  return s !== null && s.state !== 'Z' && s.state !== 'X';
}

/** The process's start time in clock ticks since boot, or null when it is gone. */
export function startTimeOf(pid: number): string | null {
  return procStat(pid)?.startTime || null;
}

/** The text of a pid file for a process that runs now: `PID START`. */
export function pidRecordText(pid: number): string {
  const start = startTimeOf(pid);
  if (start === null) throw new Error(`process ${pid} is not running`);
  return `${pid} ${start}\n`;
}

export function parsePidRecord(text: string): PidRecord | null {
  const m = /^(\d{1,10}) (\d{1,20})\n?$/.exec(text);
  if (!m) return null;
  const pid = Number(m[1]);
  return pid > 1 ? { pid, start: m[2]! } : null;
}

/** True while the very process the record was written for still runs. */
export function recordAlive(rec: PidRecord): boolean {
  return pidAlive(rec.pid) && startTimeOf(rec.pid) === rec.start;
}

/** The pid of the recorded process if it still runs, else null (a missing, malformed or stale file). */
export function livePid(file: string): number | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const rec = parsePidRecord(text);
  return rec && recordAlive(rec) ? rec.pid : null;
}
