// Where the admin side keeps things: one state directory (BULKHEAD_HOME), laid out here only.
import { join, resolve } from 'node:path';

/** Where each state directory claims its host uid range, one file per directory (tmpfs: gone at reboot). */
export const UID_REGISTRY_DIR = '/run/bulkhead/uid-slots';

export interface Paths {
  home: string;
  db: string;
  runDir: string;
  /** Root-only directory of the admin socket and pid file (0700): the admin boundary. */
  adminDir: string;
  socket: string;
  pidFile: string;
  logFile: string;
  /** The daemon's stderr before its logger opens (start failures), kept for `daemon start` to show. */
  errFile: string;
  qubesDir: string;
  cacheDir: string;
}

export function resolvePaths(home = process.env.BULKHEAD_HOME ?? '/var/lib/bulkhead'): Paths {
  const h = resolve(home);
  return {
    home: h,
    db: join(h, 'state.db'),
    runDir: join(h, 'run'),
    adminDir: join(h, 'admin'),
    socket: join(h, 'admin', 'admin.sock'),
    pidFile: join(h, 'admin', 'bulkheadd.pid'),
    logFile: join(h, 'bulkheadd.log'),
    errFile: join(h, 'admin', 'bulkheadd.stderr'),
    qubesDir: join(h, 'qubes'),
    cacheDir: process.env.BULKHEAD_CACHE ?? '/var/cache/bulkhead',
  };
}

/** The state directory's RPC policy (Qubes' policy.d format), seeded from the shipped defaults. */
export function policyDirOf(home: string): string {
  return join(home, 'policy.d');
}

/** Runtime files of a running qube (bundle, merged root), gone when it stops. */
export function qubeRunDir(p: Pick<Paths, 'runDir'>, name: string): string {
  return join(p.runDir, 'qubes', name);
}

/** A qube's RPC sockets (`sockets/` inside is mounted into the qube), while it runs. */
export function rpcQubeDir(p: Pick<Paths, 'runDir'>, name: string): string {
  return join(p.runDir, 'rpc', name);
}

/** The versioned native tools and RPC services every qube mounts read-only. */
export function rpcShareDir(p: Pick<Paths, 'runDir'>): string {
  return join(p.runDir, 'rpc-share');
}

/** A networked qube's resolv.conf directory, while it runs. */
export function netQubeDir(p: Pick<Paths, 'runDir'>, name: string): string {
  return join(p.runDir, 'net', name);
}

/** Files the admin writes for a gateway or workstation (torrc, identity files, control password). */
export function whonixQubeDir(p: Pick<Paths, 'runDir'>, name: string): string {
  return join(p.runDir, 'whonix', name);
}
