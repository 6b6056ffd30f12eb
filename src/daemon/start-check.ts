// Checks made before bulkheadd creates anything, so a start that cannot succeed fails in one line and leaves nothing behind.
import { accessSync, constants } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { BulkheadError } from '../errors/index.js';
import { NATIVE_BUILD, requirePeerCred } from '../native/index.js';
import type { Paths } from './paths.js';

/**
 * Everything of native/build the daemon runs, loads or mounts into qubes (crun-v1 only on hybrid
 * cgroups, checked by the runtime); the `.node` addon is loaded, the rest executed.
 */
export const NATIVE_HELPERS = [
  'idmap-mount',
  'qube-init',
  'seccomp-bpf',
  'bh-agent',
  'qrexec-client-vm',
  'bh-filecopy',
  'bh-rpc-relay',
  'bh-saferead',
  'bh-fscrypt',
  'peercred.node',
];

/** sun_path holds 108 bytes with its NUL; Node silently cuts a longer path, and no client finds the socket. */
const SUN_PATH_MAX = 107;

export function checkBeforeStart(paths: Paths, uid = process.getuid?.() ?? 0): void {
  const nativeDir = NATIVE_BUILD;
  if (uid !== 0) {
    throw new BulkheadError('ERR_PERMISSION', `must run as root (uid 0, not ${uid}): bulkheadd creates namespaces, mounts, cgroups and nftables rules`);
  }
  const missing = NATIVE_HELPERS.filter((n) => {
    try {
      accessSync(join(nativeDir, n), n.endsWith('.node') ? constants.R_OK : constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) {
    throw new BulkheadError('ERR_RUNTIME', `native helper${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing in ${nativeDir} (run make -C native)`);
  }
  requirePeerCred(); // present but broken (built for another ABI, truncated): one line too
  if (Buffer.byteLength(paths.socket) > SUN_PATH_MAX) {
    throw new BulkheadError(
      'ERR_INVALID_VALUE',
      `state directory ${paths.home} is too long: its admin socket path must be at most ${SUN_PATH_MAX} bytes (set BULKHEAD_HOME to a shorter path)`,
    );
  }
}

/** Refuses a socket path that something still answers on (a daemon whose pid file was removed): never steal it. */
export async function checkSocketFree(socket: string): Promise<void> {
  const answered = await new Promise<boolean>((resolve) => {
    const s = connect(socket);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (answered) {
    throw new BulkheadError('ERR_STATE_LOCKED', `admin socket ${socket} is in use by another process; stop it before starting bulkheadd`);
  }
}
