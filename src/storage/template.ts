// Installing a template's root filesystem atomically (from a directory or tarball), checking it, and adding bulkhead's layout.
import { constants as fsc, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BulkheadError } from '../errors/index.js';
import { run } from '../exec/index.js';
import { copyTree, durableRename, exists, randomSuffix, syncFs } from './fsops.js';
import { INCOMING_PREFIX } from './layout.js';
import { QUBE_USER, withUser } from './passwd.js';

/** Options common to build and import. */
export interface InstallOptions {
  /** Written to /etc/hostname (the runtime sets the qube's own hostname at start). */
  hostname?: string;
}

export interface ImportResult {
  rootDir: string;
  seconds: number;
}

const TAR_EXTRACT = ['--numeric-owner', '--xattrs', '--xattrs-include=*', '-xpf'];

/** Extract a tarball (plain or compressed; tar detects it) into an existing directory. */
export async function extractTarball(tarball: string, into: string): Promise<void> {
  const r = await run('tar', [...TAR_EXTRACT, tarball, '-C', into], { timeoutMs: 30 * 60_000, allowFail: true });
  if (r.code !== 0) {
    const why = r.stderr.trim().split('\n').slice(-2).join(' | ');
    throw new BulkheadError('ERR_TEMPLATE', `${tarball}: cannot extract as a tar archive (${why})`);
  }
}

/** Refuse a tree that does not look like a root filesystem (no /etc, no /bin or /usr/bin). */
export async function validateRootfs(dir: string, shownAs = dir): Promise<void> {
  const isRealDir = async (rel: string): Promise<boolean> => {
    try {
      return (await fsp.lstat(join(dir, rel))).isDirectory();
    } catch {
      return false;
    }
  };
  const missing: string[] = [];
  if (!(await isRealDir('etc'))) missing.push('/etc');
  if (!(await isRealDir('usr/bin')) && !(await isRealDir('bin'))) missing.push('/bin or /usr/bin');
  if (missing.length) {
    throw new BulkheadError('ERR_TEMPLATE', `${shownAs} does not look like a root filesystem: no ${missing.join(', no ')} directory`);
  }
}

/**
 * The path of `rel` below `root`, refusing when any existing component is a symlink: an
 * imported root is untrusted, and `etc -> /etc` must not make us write to the host.
 */
async function inside(root: string, rel: string): Promise<string> {
  let cur = root;
  for (const part of rel.split('/').filter(Boolean)) {
    cur = join(cur, part);
    try {
      if ((await fsp.lstat(cur)).isSymbolicLink()) {
        throw new BulkheadError('ERR_TEMPLATE', `root filesystem: /${rel} passes through a symlink (${cur.slice(root.length)}); refusing to write through it`);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return cur;
}

async function mkdirInside(root: string, rel: string, mode = 0o755, owner?: { uid: number; gid: number }): Promise<void> {
  let sofar = '';
  for (const part of rel.split('/').filter(Boolean)) {
    sofar += '/' + part;
    const p = await inside(root, sofar);
    if (!(await exists(p))) {
      await fsp.mkdir(p, { mode });
      if (owner && sofar === '/' + rel.replace(/^\/+/, '')) await fsp.chown(p, owner.uid, owner.gid);
    }
  }
}

async function readInside(root: string, rel: string): Promise<string | undefined> {
  const p = await inside(root, rel);
  try {
    const fh = await fsp.open(p, fsc.O_RDONLY | fsc.O_NOFOLLOW);
    try {
      return await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new BulkheadError('ERR_TEMPLATE', `root filesystem: /${rel} is a symlink; refusing to read through it`);
    }
    throw e;
  }
}

async function writeInside(root: string, rel: string, data: string, mode: number): Promise<void> {
  const p = await inside(root, rel);
  let fh;
  try {
    fh = await fsp.open(p, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC | fsc.O_NOFOLLOW, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new BulkheadError('ERR_TEMPLATE', `root filesystem: /${rel} is a symlink; refusing to write through it`);
    }
    throw e;
  }
  try {
    await fh.writeFile(data);
  } finally {
    await fh.close();
  }
}

/**
 * What every bulkhead template holds besides its packages: user `user` (uid 1000, home
 * /home/user), the mount points /rw and /run/bulkhead, /etc/qubes-rpc, /etc/hostname.
 */
export async function ensureLayout(root: string, opts: InstallOptions = {}): Promise<void> {
  for (const d of ['rw', 'run/bulkhead', 'etc/qubes-rpc']) await mkdirInside(root, d);
  await writeInside(root, 'etc/hostname', `${opts.hostname ?? 'localhost'}\n`, 0o644);

  const passwd = await readInside(root, 'etc/passwd');
  const group = await readInside(root, 'etc/group');
  if (passwd === undefined || group === undefined) {
    throw new BulkheadError('ERR_TEMPLATE', 'root filesystem has no /etc/passwd or /etc/group');
  }
  const shadow = await readInside(root, 'etc/shadow');
  const gshadow = await readInside(root, 'etc/gshadow');
  let next;
  try {
    next = withUser({ passwd, group, shadow, gshadow });
  } catch (e) {
    throw new BulkheadError('ERR_TEMPLATE', `root filesystem: ${(e as Error).message}`);
  }
  if (next.changed) {
    await writeInside(root, 'etc/passwd', next.passwd, 0o644);
    await writeInside(root, 'etc/group', next.group, 0o644);
    if (next.shadow !== undefined) await writeInside(root, 'etc/shadow', next.shadow, 0o640);
    if (next.gshadow !== undefined) await writeInside(root, 'etc/gshadow', next.gshadow, 0o640);
  }
  await dropPingCapability(root);
  const home = QUBE_USER.home.slice(1);
  if (!(await exists(await inside(root, home)))) {
    await mkdirInside(root, home, 0o755, { uid: QUBE_USER.uid, gid: QUBE_USER.gid });
    const skel = await inside(root, 'etc/skel');
    for (const n of (await exists(skel)) ? await fsp.readdir(skel) : []) {
      const st = await fsp.lstat(join(skel, n));
      if (!st.isFile()) continue;
      const text = await readInside(root, `etc/skel/${n}`);
      await writeInside(root, `${home}/${n}`, text ?? '', st.mode & 0o777);
      await fsp.lchown(join(root, home, n), QUBE_USER.uid, QUBE_USER.gid);
    }
  }
}

/**
 * Debian's ping carries the file capability cap_net_raw. A qube's bounding set has no NET_RAW, so
 * the kernel refuses to exec such a file; without the capability ping uses ICMP echo sockets,
 * which every qube's network namespace allows (ping_group_range).
 */
async function dropPingCapability(root: string): Promise<void> {
  for (const rel of ['usr/bin/ping', 'bin/ping']) {
    const p = await inside(root, rel).catch(() => null);
    if (!p || !(await exists(p))) continue;
    const st = await fsp.lstat(p);
    if (!st.isFile()) continue;
    await run('python3', ['-c', 'import os,sys\ntry: os.removexattr(sys.argv[1], "security.capability", follow_symlinks=False)\nexcept OSError: pass', p], {
      timeoutMs: 10_000,
    });
  }
}

/**
 * Fill a fresh directory next to `destDir` (via `fill`), check it, add the layout, flush it,
 * and rename it into place. A failure at any step leaves nothing; `destDir` must not exist.
 */
export async function installRoot(destDir: string, fill: (tmp: string) => Promise<void>, opts: InstallOptions & { shownAs: string }): Promise<void> {
  const parent = dirname(destDir);
  await fsp.mkdir(parent, { recursive: true, mode: 0o700 });
  if (await exists(destDir)) {
    throw new BulkheadError('ERR_TEMPLATE', `${destDir} already exists; remove the old root first`);
  }
  const tmp = join(parent, `${INCOMING_PREFIX}${basename(destDir)}-${randomSuffix()}`);
  try {
    await fill(tmp);
    await validateRootfs(tmp, opts.shownAs);
    await ensureLayout(tmp, opts);
    await syncFs(tmp);
    await durableRename(tmp, destDir);
  } catch (e) {
    await fsp.rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Import a root filesystem from a directory or a tarball (.tar, .tar.gz, …) into `destDir`.
 * Refuses (ERR_TEMPLATE) anything that does not look like a root filesystem.
 */
export async function importTemplate(source: string, destDir: string, opts: InstallOptions = {}): Promise<ImportResult> {
  const started = performance.now();
  let st;
  try {
    st = await fsp.stat(source);
  } catch {
    throw new BulkheadError('ERR_TEMPLATE', `${source}: no such file or directory`);
  }
  if (st.isDirectory()) {
    await validateRootfs(source);
    await installRoot(destDir, (tmp) => copyTree(source, tmp), { ...opts, shownAs: source });
  } else if (st.isFile()) {
    await installRoot(
      destDir,
      async (tmp) => {
        await fsp.mkdir(tmp, { mode: 0o755 });
        await extractTarball(source, tmp);
      },
      { ...opts, shownAs: source },
    );
  } else {
    throw new BulkheadError('ERR_TEMPLATE', `${source}: neither a directory nor a tarball`);
  }
  return { rootDir: destDir, seconds: (performance.now() - started) / 1000 };
}
