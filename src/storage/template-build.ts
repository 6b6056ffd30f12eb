// Building a Debian template root with mmdebstrap, cached as a tarball keyed by what went into it.
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BulkheadError } from '../errors/index.js';
import { waitUntil } from '../exec/index.js';
import { durableRename, exists, randomSuffix, syncFs, writeFileAtomic } from './fsops.js';
import { INCOMING_PREFIX } from './layout.js';
import { QUBE_USER } from './passwd.js';
import { extractTarball, installRoot, type InstallOptions } from './template.js';
import { MmdebstrapProgress, type BuildProgress } from './template-progress.js';
import { DEFAULT_MIRROR, mirrorFromSources, resolveSet, type ResolvedSet } from './template-sets.js';

/** The build cache; BULKHEAD_CACHE moves it (a cold-cache CI run points it at a fresh directory). */
export const DEFAULT_CACHE_DIR = process.env.BULKHEAD_CACHE ?? '/var/cache/bulkhead';
const HOST_SOURCES = '/etc/apt/sources.list.d/debian.sources';
const BUILD_TIMEOUT_MS = 30 * 60_000;
/** Lock file of a tarball being built, in the cache: its name ends in the set's key. */
const BUILD_LOCK_PREFIX = '.build-lock-';

export interface BuildOptions extends InstallOptions {
  /** A name from TEMPLATE_SETS: `debian-12`, `debian-12-gateway`, `debian-12-workstation`. */
  name: string;
  /** Where the root filesystem goes (must not exist). */
  destDir: string;
  cacheDir?: string;
  /** Packages added to the set. */
  packages?: string[];
  /** Debian archive; default: the one apt on the host uses, else deb.debian.org. */
  mirror?: string;
  onProgress?: (p: BuildProgress) => void;
  /** Build again even when a cached tarball exists (replaces it). */
  refresh?: boolean;
}

export interface BuildResult {
  rootDir: string;
  fromCache: boolean;
  seconds: number;
  tarball: string;
  packages: string[];
}

/** The archive apt on the host uses for `suite`, or deb.debian.org. */
export async function hostMirror(suite: string): Promise<string> {
  try {
    return mirrorFromSources(await fsp.readFile(HOST_SOURCES, 'utf8'), suite) ?? DEFAULT_MIRROR;
  } catch {
    return DEFAULT_MIRROR;
  }
}

/** Cached tarball path of a resolved set. */
export function cachedTarball(cacheDir: string, set: ResolvedSet): string {
  return join(cacheDir, `debian-${set.suite}-${set.variant}-${set.key}.tar`);
}

/** mmdebstrap's arguments: the user is made by a hook so the cached tarball already has it. */
export function mmdebstrapArgs(set: ResolvedSet, out: string, mirror: string): string[] {
  const u = QUBE_USER;
  return [
    '--verbose',
    `--variant=${set.variant}`,
    `--include=${set.packages.join(',')}`,
    `--customize-hook=chroot "$1" useradd --create-home --uid ${u.uid} --user-group --shell ${u.shell} ${u.name}`,
    set.suite,
    out,
    mirror,
  ];
}

/** Run mmdebstrap, feeding its output lines to the progress parser; keeps the tail for errors. */
function runMmdebstrap(args: string[], progress: MmdebstrapProgress, onProgress?: (p: BuildProgress) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    // Streaming output is needed for progress, which exec's buffered run() does not give.
    const child = spawn('mmdebstrap', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const feed = (line: string) => {
      tail.push(line);
      if (tail.length > 40) tail.shift();
      const p = progress.line(line);
      if (p && onProgress) onProgress(p);
    };
    createInterface({ input: child.stdout }).on('line', feed);
    createInterface({ input: child.stderr }).on('line', feed);
    const timer = setTimeout(() => child.kill('SIGTERM'), BUILD_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new BulkheadError('ERR_TEMPLATE', `cannot run mmdebstrap: ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const why = tail.filter((l) => /^(E:|W:|dpkg: error|Err:)/.test(l)).slice(-4);
      const detail = (why.length ? why : tail.slice(-4)).join(' | ');
      reject(new BulkheadError('ERR_TEMPLATE', `mmdebstrap failed (${signal ?? `exit ${code}`}): ${detail}`));
    });
  });
}

/**
 * Build (or take from the cache) a template root filesystem and install it at `destDir`.
 * The cache holds one tarball per (suite, variant, package list); a hit needs no network.
 * Atomic: a failed build leaves neither a partial tarball nor a partial root.
 */
export async function buildTemplate(opts: BuildOptions): Promise<BuildResult> {
  const started = performance.now();
  let set: ResolvedSet;
  try {
    set = resolveSet(opts.name, opts.packages ?? []);
  } catch (e) {
    throw new BulkheadError('ERR_TEMPLATE', (e as Error).message);
  }
  if (await exists(opts.destDir)) {
    throw new BulkheadError('ERR_TEMPLATE', `${opts.destDir} already exists; remove the old root first`);
  }
  const cacheDir = opts.cacheDir ?? DEFAULT_CACHE_DIR;
  const progress = new MmdebstrapProgress();
  const report = (p: BuildProgress) => opts.onProgress?.(p);
  const { tarball, fromCache } = await cacheTarball(set, cacheDir, { refresh: opts.refresh, mirror: opts.mirror, progress, report });

  report(progress.enter('extract-root'));
  await installRoot(opts.destDir, (tmp) => extractInto(tarball, tmp), { hostname: opts.hostname ?? set.name, shownAs: tarball });
  report(progress.finished());
  return { rootDir: opts.destDir, fromCache, seconds: (performance.now() - started) / 1000, tarball, packages: set.packages };
}

/** Makes sure the cache holds the tarball of a template set (mmdebstrap when it is missing); its path. */
export async function cacheTemplate(name: string, o: { cacheDir?: string; mirror?: string } = {}): Promise<{ tarball: string; fromCache: boolean }> {
  let set: ResolvedSet;
  try {
    set = resolveSet(name, []);
  } catch (e) {
    throw new BulkheadError('ERR_TEMPLATE', (e as Error).message);
  }
  return cacheTarball(set, o.cacheDir ?? DEFAULT_CACHE_DIR, { mirror: o.mirror, progress: new MmdebstrapProgress(), report: () => {} });
}

/**
 * The cached tarball of `set`, built when missing (or on refresh). One build per tarball at a time:
 * several state directories share the cache, and a second builder waits for the first one's tarball
 * instead of downloading the same packages again (a lock file with the builder's pid; one whose
 * builder is gone is taken over).
 */
async function cacheTarball(
  set: ResolvedSet,
  cacheDir: string,
  o: { refresh?: boolean; mirror?: string; progress: MmdebstrapProgress; report: (p: BuildProgress) => void },
): Promise<{ tarball: string; fromCache: boolean }> {
  await fsp.mkdir(cacheDir, { recursive: true, mode: 0o755 });
  const tarball = cachedTarball(cacheDir, set);
  if (!o.refresh && (await exists(tarball))) {
    o.report({ phase: 'cache', done: 0, total: o.progress.total });
    return { tarball, fromCache: true };
  }
  const lock = join(cacheDir, `${BUILD_LOCK_PREFIX}${set.key}`);
  await waitUntil(`the build of ${tarball} by another process`, { timeoutMs: BUILD_TIMEOUT_MS, intervalMs: 1000 }, () => takeBuildLock(lock));
  try {
    // Built by the holder of the lock while this one waited.
    if (!o.refresh && (await exists(tarball))) {
      o.report({ phase: 'cache', done: 0, total: o.progress.total });
      return { tarball, fromCache: true };
    }
    const mirror = o.mirror ?? (await hostMirror(set.suite));
    const incoming = join(cacheDir, `${INCOMING_PREFIX}${set.key}-${randomSuffix()}.tar`);
    try {
      await runMmdebstrap(mmdebstrapArgs(set, incoming, mirror), o.progress, o.report);
      await syncFs(incoming);
      await durableRename(incoming, tarball);
    } catch (e) {
      await fsp.rm(incoming, { force: true });
      throw e;
    }
    const meta = { name: set.name, suite: set.suite, variant: set.variant, packages: set.packages, mirror, builtAt: new Date().toISOString() };
    await writeFileAtomic(tarball.replace(/\.tar$/, '.json'), JSON.stringify(meta, null, 2) + '\n', 0o644);
    return { tarball, fromCache: false };
  } finally {
    await fsp.rm(lock, { force: true });
  }
}

/** Creates the lock file with this process's pid: true when taken, undefined while a live process holds it. */
export async function takeBuildLock(lock: string): Promise<true | undefined> {
  try {
    await fsp.writeFile(lock, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const holder = Number((await fsp.readFile(lock, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(holder) && holder > 0 && (holder === process.pid || alive(holder))) return undefined;
  // Left by a builder that died (or half written): taken over at the next try.
  if (!Number.isInteger(holder) || holder <= 0) {
    const age = Date.now() - ((await fsp.stat(lock).catch(() => null))?.mtimeMs ?? 0);
    if (age < 5000) return undefined;
  }
  await fsp.rm(lock, { force: true });
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function extractInto(tarball: string, tmp: string): Promise<void> {
  await fsp.mkdir(tmp, { mode: 0o755 });
  await extractTarball(tarball, tmp);
}

/** Remove build leftovers (`.incoming-*` tarballs) from a cache directory after a crash. */
export async function cleanCache(cacheDir: string = DEFAULT_CACHE_DIR): Promise<string[]> {
  const removed: string[] = [];
  let names: string[] = [];
  try {
    names = await fsp.readdir(cacheDir);
  } catch {
    return removed;
  }
  for (const n of names) {
    if (n.startsWith(INCOMING_PREFIX)) {
      await fsp.rm(join(cacheDir, n), { recursive: true, force: true });
      removed.push(n);
    }
  }
  return removed;
}
