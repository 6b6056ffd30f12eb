// How crun is invoked (directly, or through crun-v1 on hybrid cgroups) and how its state output is read.
import type { RuntimeInstance, RuntimeStatus } from '../types.js';
import type { CgroupLayout } from './cgroups.js';

export interface CrunInvocation {
  crunPath: string;
  /** crun-v1 wrapper; used only when the layout is hybrid. */
  wrapperPath: string;
  layout: CgroupLayout;
  /** crun's state directory (`--root`). */
  stateRoot: string;
}

/** argv (program first) that runs `crun --root R ARGS` the way this host needs it. */
export function crunArgv(inv: CrunInvocation, args: readonly string[]): string[] {
  const crun = [inv.crunPath, `--root=${inv.stateRoot}`, ...args];
  return inv.layout === 'hybrid' ? [inv.wrapperPath, ...crun] : crun;
}

function toStatus(s: unknown): RuntimeStatus {
  if (s === 'running') return 'running';
  if (s === 'paused') return 'paused';
  return 'stopped';
}

export interface CrunStateEntry extends RuntimeInstance {
  bundle: string | null;
}

function toEntry(o: Record<string, unknown>): CrunStateEntry | null {
  if (typeof o.id !== 'string') return null;
  const pid = typeof o.pid === 'number' ? o.pid : 0;
  const status = toStatus(o.status);
  return { id: o.id, pid: status === 'stopped' ? 0 : pid, status, bundle: typeof o.bundle === 'string' ? o.bundle : null };
}

/** Parses `crun state ID` output. */
export function parseCrunState(json: string): CrunStateEntry | null {
  const o = JSON.parse(json) as unknown;
  return o !== null && typeof o === 'object' ? toEntry(o as Record<string, unknown>) : null;
}

/** Parses `crun list --format=json` output (an array, or empty output when there is nothing). */
export function parseCrunList(json: string): CrunStateEntry[] {
  if (json.trim() === '') return [];
  const a = JSON.parse(json) as unknown;
  if (!Array.isArray(a)) return [];
  return a.flatMap((o) => {
    const e = o !== null && typeof o === 'object' ? toEntry(o as Record<string, unknown>) : null;
    return e ? [e] : [];
  });
}
