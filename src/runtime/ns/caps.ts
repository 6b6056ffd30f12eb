// Capability sets of a qube: the small default bounding set and the few a spec may add.
import { BulkheadError } from '../../errors/index.js';

/** What root inside every qube keeps (the common container set without NET_RAW, MKNOD, AUDIT_WRITE). */
export const DEFAULT_CAPS: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_NET_BIND_SERVICE',
  'CAP_SETFCAP',
  'CAP_SETGID',
  'CAP_SETPCAP',
  'CAP_SETUID',
  'CAP_SYS_CHROOT',
];

/**
 * Capabilities a spec may add. All act only inside the qube's own user namespace (a network
 * capability applies only to a network namespace that namespace owns). SYS_ADMIN, SYS_MODULE,
 * SYS_PTRACE, SYS_RAWIO, SYS_BOOT, SYS_TIME, MAC_*, BPF, PERFMON and the like are never granted.
 */
export const ADDABLE_CAPS: readonly string[] = ['CAP_NET_RAW', 'CAP_NET_ADMIN', 'CAP_MKNOD', 'CAP_AUDIT_WRITE', 'CAP_SYS_NICE', 'CAP_IPC_LOCK', 'CAP_LEASE'];

/** The bounding set for a spec; throws on a capability that may not be added. */
export function qubeCaps(extra: readonly string[] | undefined): string[] {
  const caps = new Set(DEFAULT_CAPS);
  for (const [i, c] of (extra ?? []).entries()) {
    const name = c.startsWith('CAP_') ? c : `CAP_${c}`;
    if (!ADDABLE_CAPS.includes(name)) {
      throw new BulkheadError('ERR_INVALID_VALUE', `extraCaps[${i}]: ${JSON.stringify(c)} may not be granted to a qube (allowed: ${ADDABLE_CAPS.join(', ')})`);
    }
    caps.add(name);
  }
  return [...caps].sort();
}
