// What every qube gets mounted for RPC: the agent, client and file-copy binaries, the in-qube commands and the service handlers.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BulkheadError } from '../../errors/index.js';
import type { BindMount } from '../../runtime/types.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const NATIVE_BUILD = process.env.BULKHEAD_NATIVE_DIR ?? join(REPO, 'native', 'build');
export const SERVICES_DIR = join(REPO, 'qubes-rpc');
export const QUBE_TOOLS_DIR = join(REPO, 'qube-tools');

/** Inside a qube. */
export const IN_QUBE = { rpc: '/run/bulkhead/rpc', bin: '/run/bulkhead/bin', services: '/run/bulkhead/qubes-rpc' } as const;
/** Binaries copied from native/build. */
const NATIVE = ['bh-agent', 'qrexec-client-vm', 'bh-filecopy'];
/** Commands that also appear on the qube's PATH (bind-mounted into /usr/local/bin). */
export const ON_PATH = ['qrexec-client-vm', 'bulkhead', 'qvm-copy', 'qvm-copy-to-vm', 'qvm-move', 'qvm-move-to-vm', 'bulkhead-copy', 'qvm-open-in-vm', 'qvm-open-in-dvm'];

function copyDir(from: string, to: string): string[] {
  mkdirSync(to, { recursive: true, mode: 0o755 });
  const names = readdirSync(from).filter((n) => !n.startsWith('.'));
  for (const n of names) {
    copyFileSync(join(from, n), join(to, n));
    chmodSync(join(to, n), 0o755);
  }
  return names;
}

/**
 * Copies everything qubes need into `dir` (owned by root, world-readable), so a rebuild of the
 * checkout never changes what a running qube sees halfway.
 */
export function prepareShare(dir: string): { bin: string; services: string } {
  const bin = join(dir, 'bin');
  const services = join(dir, 'qubes-rpc');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  mkdirSync(bin, { mode: 0o755 });
  for (const n of NATIVE) {
    const src = join(NATIVE_BUILD, n);
    if (!existsSync(src)) throw new BulkheadError('ERR_RUNTIME', `native helper ${src} is missing (run make -C native)`);
    copyFileSync(src, join(bin, n));
    chmodSync(join(bin, n), 0o755);
  }
  copyDir(QUBE_TOOLS_DIR, bin);
  copyDir(SERVICES_DIR, services);
  return { bin, services };
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
