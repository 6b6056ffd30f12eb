// bulkheadd: the admin daemon. Opens the state, finds running qubes again, serves the admin API.
import { chmodSync, mkdirSync, openSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { lockStateDir } from './state-modes.js';
import pino from 'pino';
import { BulkheadError } from '../errors/index.js';
import { setExecLogger } from '../exec/index.js';
import { createNsRuntime } from '../runtime/ns/index.js';
import { openDatabase, StateStore } from '../state/index.js';
import { startApiServer, type RouteModule } from '../api/server.js';
import type { DaemonContext, QubeHooks } from './context.js';
import { AdminEvents } from './events.js';
import { claimInstance } from './instance.js';
import { KeyedLock } from './locks.js';
import { resolvePaths } from './paths.js';
import { reconcile } from './reconcile.js';
import { autostartQubes } from './lifecycle/autostart.js';
import { FEATURES } from '../features/index.js';
import { loadFeatures } from './feature.js';
import { recoverPool } from '../storage/index.js';
import { checkBeforeStart, checkSocketFree } from './start-check.js';
import { startErrorLine } from './start-error.js';
import { checkDaemonFiles } from './trust-check.js';
import { claimUidSlots } from './uid-claim.js';
import { NATIVE_BUILD } from '../native/index.js';

/** The checkout this daemon runs from (dist/daemon/main.js or src/daemon/main.ts, two levels up). */
const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** What a failed start undoes, last first: hooks' daemonStop, the database, the pid file. */
const undo: Array<() => unknown> = [];
/** The log's destination once opened: flushed before a failed start exits. */
let logDest: { flushSync(): void } | null = null;
/** The state directory, so a failed start can say when a file error is about it. */
let failHome = '';

async function main(): Promise<void> {
  const paths = resolvePaths();
  failHome = paths.home;
  checkBeforeStart(paths);
  // Root runs only from files no other user can change (code, helpers, packages, policy), with
  // state under directories no other user can rename.
  checkDaemonFiles({ repo: REPO, stateHome: paths.home, nativeDir: NATIVE_BUILD });
  // Nothing at the top of the state directory is readable by other host users (state.db, its WAL,
  // the log, volumes). Modes are set explicitly rather than by a umask 077: code that makes files
  // qubes read (template roots, /rw, the RPC share, resolv.conf) passes modes that umask would cut,
  // which was measured to break every non-root user in a qube ("open executable: Permission denied").
  // home, run/ and run/qubes/ are searchable (0711) so crun inside a qube's user namespace reaches
  // its root; everything else at the top is made private (the admin socket's admin/ is 0700).
  lockStateDir(paths);
  mkdirSync(paths.adminDir, { recursive: true, mode: 0o700 });
  const release = claimInstance(paths.pidFile);
  undo.push(release);
  await checkSocketFree(paths.socket);
  // The log file is opened here, synchronously: an error names it now, and the destination is ready
  // from the first line, so flushing it at exit can never fail ("sonic boom is not ready yet").
  // It holds commands, RPC arguments and firewall rules: the admin's alone (also an older 0644 one).
  const dest = pino.destination({ dest: openSync(paths.logFile, 'a', 0o600), sync: false });
  chmodSync(paths.logFile, 0o600);
  logDest = dest;
  const log = pino({ level: process.env.BULKHEAD_LOG_LEVEL ?? 'info' }, dest);
  setExecLogger((m) => log.debug(m));
  const db = await openDatabase(paths.db).catch((e: unknown) => {
    throw new BulkheadError('ERR_INTERNAL', `state database ${paths.db} cannot be opened: ${e instanceof Error ? e.message : String(e)}`);
  });
  undo.push(() => db.close());
  const store = new StateStore(db);
  const g = store.globals();
  // A short, unique prefix names every kernel object of this state directory.
  if (typeof g.prefix !== 'string') store.setGlobal('admin', 'prefix', `bh${randomBytes(2).toString('hex')}`);
  // The host uid range, checked against /etc/subuid, /etc/subgid and other state directories
  // before any qube starts (drawn free of them for a new state directory).
  const slotBase = claimUidSlots(paths.home, typeof g.uid_slot_base === 'number' ? g.uid_slot_base : undefined);
  if (g.uid_slot_base !== slotBase) store.setGlobal('admin', 'uid_slot_base', slotBase);
  const gg = store.globals();
  const hooks: QubeHooks[] = [];
  const routes: RouteModule[] = [];
  const ctx: DaemonContext = {
    paths,
    store,
    log,
    hooks,
    prefix: String(gg.prefix),
    uidSlotBase: Number(gg.uid_slot_base),
    runtime: createNsRuntime(),
    events: new AdminEvents(),
    locks: new KeyedLock(),
  };
  // Finish or roll back volume operations a crash cut short, before anything reads the pool.
  await recoverPool(paths.qubesDir).catch((e: unknown) => log.warn({ err: e }, 'volume recovery failed'));
  await loadFeatures(ctx, FEATURES, hooks, routes);
  const report = await reconcile(ctx);
  log.info({ report }, 'reconciled');
  undo.push(async () => {
    for (const h of [...hooks].reverse()) await h.daemonStop?.(ctx).catch(() => undefined);
  });
  for (const h of hooks) await h.daemonStart?.(ctx);
  // Features make entries at the top too (policy.d is seeded from the shipped policy): close them.
  lockStateDir(paths);
  const app = await startApiServer(ctx, routes);
  undo.length = 0; // up: from here on, stop() undoes
  // Autostart after the API is up, so clients can watch it happen; in chain order, one at a time.
  void autostartQubes(ctx).catch((e: unknown) => log.error({ err: e }, 'autostart failed'));
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log.info('stopping; qubes keep running');
    await app.close().catch(() => undefined);
    for (const h of hooks) await h.daemonStop?.(ctx).catch(() => undefined);
    db.close();
    release();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.stdout.write(`bulkheadd ready pid=${process.pid} socket=${paths.socket}\n`);
}

/** A start that fails ends in one line on stderr and exit code 1, after undoing what it made. */
async function fail(e: unknown): Promise<never> {
  process.stderr.write(`bulkheadd: ${startErrorLine(e, failHome)}\n`);
  for (const u of undo.reverse()) {
    try {
      await u();
    } catch {
      /* undo the rest regardless */
    }
  }
  try {
    logDest?.flushSync();
  } catch {
    /* the line above is what counts */
  }
  process.exit(1);
}

main().catch(fail);
