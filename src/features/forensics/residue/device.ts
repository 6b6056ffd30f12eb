// The raw device under the state directory (when it is a file system of its own), and a scan of it that bypasses stale caches.
import { promises as fsp, readFileSync } from 'node:fs';
import { BulkheadError } from '../../../errors/index.js';
import { run } from '../../../exec/index.js';
import { scanHandle, type StreamScan } from './stream-scan.js';

export interface MountOf {
  mountPoint: string;
  fstype: string;
  source: string;
}

const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Parses /proc/self/mountinfo text: the mount whose mount point is exactly `dir`, the last one if stacked (pure). */
export function mountAt(mountinfo: string, dir: string): MountOf | null {
  let found: MountOf | null = null;
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const mp = unescape(left.split(' ')[4] ?? '');
    if (mp !== dir) continue;
    const [fstype, source] = right.split(' ');
    found = { mountPoint: mp, fstype: fstype ?? '', source: unescape(source ?? '') };
  }
  return found;
}

/**
 * The block device holding `dir` when `dir` is the root of its own file system on one (a disk
 * partition, a loop-mounted image); null otherwise, with the reason (a directory of the host's
 * root file system is not scanned whole unless the admin names the device).
 */
export function ownDevice(dir: string): { device: string | null; why: string } {
  const m = mountAt(readFileSync('/proc/self/mountinfo', 'utf8'), dir);
  if (!m) return { device: null, why: `${dir} is not a file system of its own (pass a device to scan one anyway)` };
  if (!m.source.startsWith('/dev/'))
    return { device: null, why: `${dir} is ${m.fstype} (${m.source}), not on a block device${m.fstype === 'tmpfs' ? ': RAM only' : ''}` };
  return { device: m.source, why: `${dir} is ${m.fstype} on ${m.source}` };
}

/**
 * Scans a block device (or an image file) whole. Its buffered pages are dropped first
 * (`blockdev --flushbufs`): the file system writes blocks without going through the device's own
 * page cache, so a page read before the write would hide it.
 */
export async function scanDevice(device: string, needles: readonly Uint8Array[], maxHits = 100): Promise<StreamScan> {
  const st = await fsp.stat(device).catch(() => null);
  if (!st || !(st.isBlockDevice() || st.isFile())) throw new BulkheadError('ERR_INVALID_VALUE', `device: ${device} is not a block device or an image file`);
  if (st.isBlockDevice()) await run('blockdev', ['--flushbufs', device], { timeoutMs: 60_000 });
  const fh = await fsp.open(device, 'r');
  try {
    return await scanHandle(fh, needles, { maxHits });
  } finally {
    await fh.close();
  }
}
