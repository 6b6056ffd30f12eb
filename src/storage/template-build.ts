// Building a Debian template root with mmdebstrap, cached as a tarball keyed by what went into it.
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BulkheadError } from '../errors/index.js';
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
  await fsp.mkdir(cacheDir, { recursive: true, mode: 0o755 });
  const tarball = cachedTarball(cacheDir, set);
  const progress = new MmdebstrapProgress();
  const report = (p: BuildProgress) => opts.onProgress?.(p);

  const fromCache = !opts.refresh && (await exists(tarball));
  if (fromCache) {
    report({ phase: 'cache', done: 0, total: progress.total });
  } else {
    const mirror = opts.mirror ?? (await hostMirror(set.suite));
    const incoming = join(cacheDir, `${INCOMING_PREFIX}${set.key}-${randomSuffix()}.tar`);
    try {
      await runMmdebstrap(mmdebstrapArgs(set, incoming, mirror), progress, report);
      await syncFs(incoming);
      await durableRename(incoming, tarball);
    } catch (e) {
      await fsp.rm(incoming, { force: true });
      throw e;
    }
    const meta = { name: set.name, suite: set.suite, variant: set.variant, packages: set.packages, mirror, builtAt: new Date().toISOString() };
    await writeFileAtomic(tarball.replace(/\.tar$/, '.json'), JSON.stringify(meta, null, 2) + '\n', 0o644);
  }

  report(progress.enter('extract-root'));
  await installRoot(opts.destDir, (tmp) => extractInto(tarball, tmp), { hostname: opts.hostname ?? set.name, shownAs: tarball });
  report(progress.finished());
  return { rootDir: opts.destDir, fromCache, seconds: (performance.now() - started) / 1000, tarball, packages: set.packages };
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
