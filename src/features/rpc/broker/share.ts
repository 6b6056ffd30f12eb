// What every qube gets mounted for RPC: the agent, client and file-copy binaries, the in-qube commands and the service handlers.
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BulkheadError } from '../../../errors/index.js';
import type { BindMount } from '../../../runtime/types.js';
import { NATIVE_BUILD } from '../../../native/index.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
export const SERVICES_DIR = join(REPO, 'qubes-rpc');
export const QUBE_TOOLS_DIR = join(REPO, 'qube-tools');

/** Inside a qube. */
import { IN_QUBE } from './in-qube.js';

export { IN_QUBE };
/** Binaries copied from native/build. */
const NATIVE = ['bh-agent', 'qrexec-client-vm', 'bh-filecopy'];
/** Commands that also appear on the qube's PATH (bind-mounted into /usr/local/bin). */
export const ON_PATH = [
  'qrexec-client-vm',
  'bulkhead',
  'qvm-copy',
  'qvm-copy-to-vm',
  'qvm-move',
  'qvm-move-to-vm',
  'bulkhead-copy',
  'qvm-open-in-vm',
  'qvm-open-in-dvm',
];

/** Every file a share is made of, as [name in the share, source path]. */
function shareSources(): [string, string][] {
  const files: [string, string][] = [];
  for (const n of NATIVE) {
    const src = join(NATIVE_BUILD, n);
    if (!existsSync(src)) throw new BulkheadError('ERR_RUNTIME', `native helper ${src} is missing (run make -C native)`);
    files.push([`bin/${n}`, src]);
  }
  for (const n of readdirSync(QUBE_TOOLS_DIR).filter((x) => !x.startsWith('.'))) files.push([`bin/${n}`, join(QUBE_TOOLS_DIR, n)]);
  for (const n of readdirSync(SERVICES_DIR).filter((x) => !x.startsWith('.'))) files.push([`qubes-rpc/${n}`, join(SERVICES_DIR, n)]);
  return files;
}

/**
 * Copies everything qubes need under `base`, in a directory named by the hash of its content
 * (owned by root, world-readable), so a rebuild of the checkout never changes what a running qube
 * sees halfway, and a daemon restart never takes the files from under the qubes still running
 * (their bind mounts hold the directory they started with). With `prune`, other versions go.
 */
export function prepareShare(base: string, opts: { prune?: boolean } = {}): { bin: string; services: string } {
  const files = shareSources();
  const h = createHash('sha256');
  for (const [name, src] of files) h.update(name).update('\0').update(readFileSync(src)).update('\0');
  const version = h.digest('hex').slice(0, 16);
  mkdirSync(base, { recursive: true, mode: 0o755 });
  chmodSync(base, 0o755);
  const dir = join(base, version);
  if (!existsSync(join(dir, '.complete'))) {
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(join(tmp, 'bin'), { recursive: true, mode: 0o755 });
    mkdirSync(join(tmp, 'qubes-rpc'), { mode: 0o755 });
    for (const [name, src] of files) {
      copyFileSync(src, join(tmp, name));
      chmodSync(join(tmp, name), 0o755);
    }
    chmodSync(tmp, 0o755);
    writeFileSync(join(tmp, '.complete'), '');
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  }
  if (opts.prune) for (const n of readdirSync(base)) if (n !== version) rmSync(join(base, n), { recursive: true, force: true });
  return { bin: join(dir, 'bin'), services: join(dir, 'qubes-rpc') };
}

/** The bind mounts of one qube: its own socket directory, the shared binaries and handlers, the PATH entries. */
export function qubeMounts(share: { bin: string; services: string }, socketDir: string): BindMount[] {
  return [
    { source: socketDir, destination: IN_QUBE.rpc, readonly: true },
    { source: share.bin, destination: IN_QUBE.bin, readonly: true },
    { source: share.services, destination: IN_QUBE.services, readonly: true },
    ...ON_PATH.map((n) => ({ source: join(share.bin, n), destination: `/usr/local/bin/${n}`, readonly: true })),
  ];
}
