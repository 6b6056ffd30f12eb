// Tests read a qube's private data: a directory, or an ext4 image mounted read-only for the look (or its live mount while the qube runs).
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

const isMountPoint = (dir: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === dir);

/** Run `fn` on the private tree of the volume directory `volDir` (POOL/NAME); an image is unmounted again, also when `fn` throws. */
export function withPrivateTree<T>(volDir: string, fn: (tree: string) => T): T {
  const priv = join(volDir, 'private');
  const st = lstatSync(priv, { throwIfNoEntry: false });
  if (!st?.isFile()) return fn(priv);
  const live = join(volDir, 'mnt', 'private');
  if (existsSync(live) && isMountPoint(live)) return fn(live);
  // An image still held by a loop device (a lazily released mount of a stopped qube) may not be
  // written back yet: read it only once it is released, as the admin side does before a commit.
  const deadline = Date.now() + 15_000;
  while (spawnSync('losetup', ['-j', priv], { encoding: 'utf8' }).stdout.trim() !== '') {
    if (Date.now() > deadline) throw new Error(`${priv} is still attached to a loop device`);
    spawnSync('sleep', ['0.05']);
  }
  // Mount points below the state directory carry the test run's prefix; ro,noload: nothing is written to the image.
  const mnt = mkdtempSync(join(volDir, 'mnt', 'test-'));
  const m = spawnSync('mount', ['-t', 'ext4', '-o', 'loop,ro,noload,nosuid,nodev,noexec', priv, mnt], { encoding: 'utf8' });
  if (m.status !== 0) {
    rmdirSync(mnt);
    throw new Error(`mount ${priv}: ${m.stderr}`);
  }
  try {
    return fn(mnt);
  } finally {
    spawnSync('umount', [mnt]);
    rmdirSync(mnt);
  }
}

/** The private tree of a running qube (its live mount, or the directory of an older layout); throws when an image is not mounted. */
export function livePrivateTree(volDir: string): string {
  const priv = join(volDir, 'private');
  if (!lstatSync(priv, { throwIfNoEntry: false })?.isFile()) return priv;
  const live = join(volDir, 'mnt', 'private');
  if (!isMountPoint(live)) throw new Error(`${priv} is an image that is not mounted: is the qube running?`);
  return live;
}
