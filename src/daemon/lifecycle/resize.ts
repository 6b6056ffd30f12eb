// `volume resize`: a qube's private, root or volatile volume gets a new size, applied at once when it runs.
import { BulkheadError } from '../../errors/index.js';
import { run } from '../../exec/index.js';
import { checkPropertySet, effective, formatSize, usesTemplate, type QubeRecord } from '../../model/index.js';
import { growImageOffline, growImageOnline, imageInfo, isImage } from '../../storage/image.js';
import { volumePaths } from '../../storage/layout.js';
import type { DaemonContext } from '../context.js';
import { isRunning } from './power.js';
import type { ResizeResult } from '../../contract/storage.js';
export type { ResizeResult };

/** Which size property bounds a volume of this qube (the discarded root layer lives in volatile). */
function sizeKey(q: QubeRecord, volume: string): 'private_size' | 'volatile_size' | 'root_size' {
  if (volume === 'private') return 'private_size';
  if ((volume === 'volatile' || volume === 'root') && usesTemplate(q.klass)) return 'volatile_size';
  if (volume === 'root') return 'root_size';
  if (volume === 'volatile') {
    throw new BulkheadError('ERR_INVALID_VALUE', `volume: the volatile volume of a ${q.klass} qube holds nothing the qube writes (its root layer is 'root')`);
  }
  throw new BulkheadError('ERR_INVALID_VALUE', `volume: '${volume}' is not one of private, volatile, root`);
}

async function remount(dir: string, bytes: number, what: string): Promise<void> {
  const r = await run('mount', ['-o', `remount,size=${bytes}`, dir], { timeoutMs: 30_000, allowFail: true });
  if (r.code !== 0)
    throw new BulkheadError(
      'ERR_VOLUME',
      `${what}: cannot resize to ${formatSize(bytes)} (it may hold more than that): ${r.stderr.trim().split('\n').pop() ?? ''}`,
    );
}

/**
 * Grow (Qubes' `qvm-volume resize`). An image is never shrunk: ext4 cannot shrink while mounted
 * and a smaller image could lose data, so a smaller size is refused. A tmpfs may shrink when its
 * data fits (the kernel refuses otherwise); when stopped, the new size is used at the next start.
 */
export async function resizeVolume(ctx: DaemonContext, name: string, volume: string, untrustedSize: unknown): Promise<ResizeResult> {
  return ctx.locks.run(name, async () => {
    const sys = ctx.store.system();
    const q = sys.qubes.get(name);
    if (!q) throw new BulkheadError('ERR_NO_SUCH_QUBE', `no qube named '${name}'`);
    if (q.klass === 'admin') throw new BulkheadError('ERR_INVALID_VALUE', `'${name}' is the admin qube and has no volumes`);
    const key = sizeKey(q, volume);
    const bytes = checkPropertySet(q, key, untrustedSize, sys) as number;
    const vp = volumePaths(ctx.paths.qubesDir, name);
    const running = isRunning(ctx, name);
    let applied: ResizeResult['applied'] = 'next start';
    const img = key === 'private_size' ? vp.private : key === 'root_size' ? vp.root : null;
    if (img !== null && (await isImage(img))) {
      const what = key === 'private_size' ? 'private' : 'root';
      const have = (await imageInfo(img)).sizeBytes;
      if (bytes < have)
        throw new BulkheadError(
          'ERR_INVALID_VALUE',
          `${key}: ${formatSize(bytes)} is smaller than the ${what} volume of '${name}' (${formatSize(have)}); shrinking is refused`,
        );
      if (!running) await growImageOffline(img, bytes);
      applied = !running || (await growImageOnline(img, bytes)) ? 'now' : 'next start';
    } else if (key === 'root_size') {
      throw new BulkheadError(
        'ERR_VOLUME',
        `root_size: the root volume of '${name}' was made before sizes existed (a directory, unbounded); it cannot be resized`,
      );
    } else if (running) {
      const dir = key === 'private_size' ? vp.private : vp.root;
      await remount(dir, bytes, key);
      applied = 'now';
    }
    if (effective(q, key, sys) !== bytes) ctx.store.setProp('admin', name, key, bytes);
    ctx.store.audit('admin', 'volume-resized', name, { volume, sizeBytes: bytes });
    return { volume, sizeBytes: bytes, applied };
  });
}
