// Where the admin side keeps things: one state directory (BULKHEAD_HOME), laid out here only.
import { join, resolve } from 'node:path';

export interface Paths {
  home: string;
  db: string;
  runDir: string;
  /** Root-only directory of the admin socket and pid file (0700): the admin boundary. */
  adminDir: string;
  socket: string;
  pidFile: string;
  logFile: string;
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
    qubesDir: join(h, 'qubes'),
    cacheDir: process.env.BULKHEAD_CACHE ?? '/var/cache/bulkhead',
  };
}

/** Runtime files of a running qube (bundle, merged root), gone when it stops. */
export function qubeRunDir(p: Paths, name: string): string {
  return join(p.runDir, 'qubes', name);
}
