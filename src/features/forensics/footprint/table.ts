// The footprint: every artefact bulkhead creates, built from the code's own path definitions (pure).
import { join, relative } from 'node:path';
import { netQubeDir, policyDirOf, qubeRunDir, resolvePaths, rpcQubeDir, rpcShareDir, UID_REGISTRY_DIR, whonixQubeDir } from '../../../daemon/paths.js';
import { DEFAULT_TABLE } from '../../../firewall/names.js';
import { NAT_TABLE } from '../../../firewall/nat.js';
import { DEFAULT_GATEWAY_TABLE, DEFAULT_LOCKDOWN_TABLE, DEFAULT_WORKSTATION_TABLE } from '../../../gateway/index.js';
import { CERT_FILES, DNS_PID_FILE, labStateDir, LOCK_FILE, STATE_FILE, TOR_DIR, TOR_INFO_FILE, WEB_SERVER_FILE } from '../../../lab/files.js';
import { netnsPath, qubeNetns, vifName } from '../../network/names.js';
import { IN_QUBE as IN_QUBE_RPC } from '../../rpc/broker/in-qube.js';
import { CGROUP_PARENT, CRUN_STATE_ROOT } from '../../../runtime/ns/host-paths.js';
import { qubePaths } from '../../../runtime/ns/oci-config.js';
import { UNIT_NAME } from '../../../service/unit.js';
import { CREATING_PREFIX, INCOMING_PREFIX, MERGE_PREFIX, ROOT_IMAGE_PREFIX, TRASH_PREFIX, volumePathsOf } from '../../../storage/layout.js';
import { SUPERVISOR_FILE } from '../../whonix/tor-supervisor.js';
import { CONTROL_FILTER_PID_FILE, CONTROL_PASSWORD_FILE, GATEWAY_TOR_SUBDIR, TOR_DATA_DIR_IN_QUBE, WORKSTATION_FILES } from '../../whonix/tor-paths.js';
import { KEY_FILE_NAME } from '../../../crypt/volume-key.js';
import { uplinkRecordDir } from '../../../net/host-uplink/record.js';
import { QUBES_RESTORE_STAGING_PREFIX } from '../../backup/qubes/restore.js';
import type { Artefact } from './types.js';

/** Debian packages scripts/setup installs (a unit test holds this list to the script). */
export const SETUP_PACKAGES = [
  'crun', 'nftables', 'iproute2', 'mmdebstrap', 'debootstrap', 'tor', 'obfs4proxy', 'conntrack', 'tcpdump', 'curl',
  'iperf3', 'hyperfine', 'uidmap', 'util-linux', 'dnsmasq-base', 'socat', 'netcat-openbsd', 'openssl', 'gcc', 'make', 'dnsutils',
  'libc6-dev', 'python3', 'ca-certificates', 'sleuthkit', 'scrypt', 'zstd',
] as const;

/** Where the CLI is linked by scripts/setup. */
export const CLI_LINK = '/usr/local/bin/bulkhead';
/** Default directory of the systemd unit (`bulkhead daemon install`). */
export const UNIT_DIR = '/etc/systemd/system';

/** The state directory as a placeholder while patterns are made from absolute path functions. */
const STATE = '/@state';
const Q = '{qube}';

export interface FootprintOptions {
  /** Cache of template tarballs (BULKHEAD_CACHE, default /var/cache/bulkhead). */
  cacheDir: string;
}

type Row = Omit<Artefact, 'scope'> & { scope?: Artefact['scope'] };

/**
 * The table, most specific pattern first within each directory (the first match names a path).
 * Every path comes from the function or constant the code itself uses to make it.
 */
export function footprintTable(opts: FootprintOptions): Artefact[] {
  const p = resolvePaths(STATE);
  const rel = (abs: string): string => relative(STATE, abs) || '.';
  const vp = volumePathsOf(join(p.qubesDir, Q));
  const v = (abs: string): string => rel(abs);
  const bundle = qubePaths({ runDir: qubeRunDir(p, Q), rootRwDir: '', privateDir: '' });
  const rpcDir = rpcQubeDir(p, Q);
  const wsDir = whonixQubeDir(p, Q);
  const torDir = join(wsDir, GATEWAY_TOR_SUBDIR);
  const lab = labStateDir(STATE);
  const netns = netnsPath(qubeNetns({ prefix: '{prefix}' }, Q));
  const rows: Row[] = [
    // ---- host: the state directory ----
    { id: 'database', layer: 'host', pattern: rel(p.db), kind: 'file', presence: 'state', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'every qube with its class, label, properties, tags, features and firewall rules; the hash-chained audit log (starts, stops, RPC calls with source, target, argument and decision, commands run, file copies, changes)',
      show: 'bulkhead forensics report --state STATE' },
    { id: 'database-wal', layer: 'host', pattern: `${rel(p.db)}-wal`, kind: 'file', presence: 'daemon', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'recent transactions not yet checkpointed into the database, and older versions of changed pages (rows since overwritten)', show: 'ls -l STATE/state.db-wal' },
    { id: 'database-shm', layer: 'host', pattern: `${rel(p.db)}-shm`, kind: 'file', presence: 'daemon', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'the WAL index: which pages the WAL holds (no content of its own)', show: 'ls -l STATE/state.db-shm' },
    { id: 'daemon-log', layer: 'host', pattern: rel(p.logFile), kind: 'file', presence: 'state', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: "the daemon's JSON log: starts and stops of qubes, refused and failed RPC calls (bounded), errors, with times", show: 'tail STATE/bulkheadd.log' },
    { id: 'admin-dir', layer: 'host', pattern: rel(p.adminDir), kind: 'dir', presence: 'state', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'root-only directory of the admin socket', show: 'ls -l STATE/admin' },
    { id: 'admin-socket', layer: 'host', pattern: rel(p.socket), kind: 'socket', presence: 'daemon', survivesRemoval: null, survivesReboot: false, encrypted: false,
      reveals: 'that a daemon serves this state directory', show: 'ss -xlp | grep admin.sock' },
    { id: 'daemon-pid', layer: 'host', pattern: rel(p.pidFile), kind: 'file', presence: 'daemon', survivesRemoval: null, survivesReboot: false, encrypted: false,
      reveals: "the daemon's process id", show: 'cat STATE/admin/bulkheadd.pid' },
    { id: 'daemon-stderr', layer: 'host', pattern: rel(p.errFile), kind: 'file', presence: 'optional', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: "the daemon's output before its log opened (start failures)", show: 'cat STATE/admin/bulkheadd.stderr' },
    { id: 'policy-dir', layer: 'host', pattern: rel(policyDirOf(STATE)), kind: 'dir', presence: 'state', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'the RPC policy directory', show: 'ls STATE/policy.d' },
    { id: 'policy-files', layer: 'host', pattern: `${rel(policyDirOf(STATE))}/**`, kind: 'tree', presence: 'state', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'which qube may call which RPC service in which other qube (qube names appear in rules)', show: 'bulkhead policy lint STATE/policy.d' },
    { id: 'pool', layer: 'host', pattern: rel(p.qubesDir), kind: 'dir', presence: 'state', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'one directory per qube: the names of every qube that exists', show: 'ls STATE/qubes' },
    { id: 'pool-leftover', layer: 'host', pattern: rel(join(p.qubesDir, `${CREATING_PREFIX}*`)), kind: 'image-or-dir', presence: 'optional', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'a qube being created or cloned when the daemon stopped (removed at the next start)', show: 'ls -a STATE/qubes' },
    { id: 'pool-leftover-tree', layer: 'host', pattern: rel(join(p.qubesDir, `${CREATING_PREFIX}*/**`)), kind: 'tree', presence: 'optional', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'contents of such a leftover', show: 'ls -aR STATE/qubes' },
    { id: 'pool-trash', layer: 'host', pattern: rel(join(p.qubesDir, `${TRASH_PREFIX}*`)), kind: 'image-or-dir', presence: 'optional', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'a removed qube whose deletion was cut short (removed at the next start)', show: 'ls -a STATE/qubes' },
    { id: 'pool-trash-tree', layer: 'host', pattern: rel(join(p.qubesDir, `${TRASH_PREFIX}*/**`)), kind: 'tree', presence: 'optional', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'contents of such a leftover, the removed qube\'s data', show: 'ls -aR STATE/qubes' },
    { id: 'run-dir', layer: 'host', pattern: rel(p.runDir), kind: 'dir', presence: 'state', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'runtime files of running qubes (below)', show: 'ls STATE/run' },
    { id: 'run-qubes', layer: 'host', pattern: rel(join(p.runDir, 'qubes')), kind: 'dir', presence: 'state', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'one bundle per running qube', show: 'ls STATE/run/qubes' },
    { id: 'run-rpc', layer: 'host', pattern: rel(join(p.runDir, 'rpc')), kind: 'dir', presence: 'optional', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'one socket directory per running qube', show: 'ls STATE/run/rpc' },
    { id: 'run-net', layer: 'host', pattern: rel(join(p.runDir, 'net')), kind: 'dir', presence: 'optional', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'one resolv.conf directory per running networked qube', show: 'ls STATE/run/net' },
    { id: 'run-uplink', layer: 'host', pattern: rel(uplinkRecordDir(p.runDir)), kind: 'dir', presence: 'optional', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: "what a host uplink changed on the host while sys-net ran (the NIC's name, MAC, addresses and routes, the nat veth, ip_forward before), kept to undo it", show: 'ls STATE/run/uplink' },
    { id: 'run-uplink-tree', layer: 'host', pattern: `${rel(uplinkRecordDir(p.runDir))}/**`, kind: 'tree', presence: 'optional', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'the records themselves (JSON), one per uplink and one for the forwarding setting', show: 'cat STATE/run/uplink/*' },
    { id: 'qubes-restore-staging', layer: 'host', pattern: rel(join(p.adminDir, `${QUBES_RESTORE_STAGING_PREFIX}*`)), kind: 'dir', presence: 'optional', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: "while a Qubes OS backup is restored (or after a crash in it): the decrypted home directories of its qubes", show: 'ls STATE/admin' },
    { id: 'qubes-restore-staging-tree', layer: 'host', pattern: rel(join(p.adminDir, `${QUBES_RESTORE_STAGING_PREFIX}*/**`)), kind: 'tree', presence: 'optional', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'the files of those home directories, in clear', show: 'ls -R STATE/admin' },
    { id: 'run-whonix', layer: 'host', pattern: rel(join(p.runDir, 'whonix')), kind: 'dir', presence: 'optional', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'one directory per gateway or workstation that ran', show: 'ls STATE/run/whonix' },
    { id: 'rpc-share', layer: 'host', pattern: rel(rpcShareDir(p)), kind: 'dir', presence: 'daemon', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'the in-qube tools, one directory per version', show: 'ls STATE/run/rpc-share' },
    { id: 'rpc-share-version', layer: 'host', pattern: rel(join(rpcShareDir(p), '{id}/**')), kind: 'tree', presence: 'daemon', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: `copies of bulkhead's native tools and RPC services mounted read-only into every qube (at ${IN_QUBE_RPC.bin}, ${IN_QUBE_RPC.services}): which version ran`, show: 'ls -R STATE/run/rpc-share' },
    { id: 'rpc-share-dir', layer: 'host', pattern: rel(join(rpcShareDir(p), '{id}')), kind: 'dir', presence: 'daemon', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'one version of the in-qube tools', show: 'ls STATE/run/rpc-share' },

    // ---- each qube: volumes ----
    { id: 'qube-dir', layer: 'qube', pattern: v(vp.dir), kind: 'dir', presence: 'qube', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: "the qube's name; all its storage lives below", show: 'bulkhead volume list QUBE' },
    { id: 'private', layer: 'qube', pattern: v(vp.private), kind: 'image-or-dir', presence: 'qube', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: "the qube's /home and /rw (an ext4 image, or a directory when made without a size): everything its user kept; a disposable's lives in a tmpfs while it runs when it has a size (see Amnesic disposables); an encrypted qube's image holds its files' contents and names encrypted (fscrypt), not their sizes and times", show: 'bulkhead forensics acquire QUBE --out DIR' },
    { id: 'private-tree', layer: 'qube', pattern: `${v(vp.private)}/**`, kind: 'tree', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'files of a directory private volume', show: 'ls -laR STATE/qubes/QUBE/private' },
    { id: 'volume-key', layer: 'qube', pattern: v(join(vp.dir, KEY_FILE_NAME)), kind: 'file', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: true,
      reveals: "that the qube is encrypted, and its master key wrapped under the passphrase (scrypt, AES-256-GCM): a target for guessing the passphrase offline", show: 'bulkhead volume info QUBE' },
    { id: 'mnt', layer: 'qube', pattern: v(join(vp.dir, 'mnt')), kind: 'dir', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'mount points of the qube\'s image volumes', show: 'findmnt -R STATE/qubes/QUBE/mnt' },
    { id: 'mnt-private', layer: 'qube', pattern: v(vp.privateMnt), kind: 'dir', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'the private image, loop-mounted while the qube runs', show: 'findmnt STATE/qubes/QUBE/mnt/private' },
    { id: 'mnt-private-tree', layer: 'qube', pattern: `${v(vp.privateMnt)}/**`, kind: 'tree', presence: 'optional', survivesRemoval: false, survivesReboot: false, encrypted: false,
      reveals: 'the mounted private image\'s files (in the image, not beside it)', show: 'ls -la STATE/qubes/QUBE/mnt/private' },
    { id: 'mnt-admin', layer: 'qube', pattern: v(vp.adminMnt), kind: 'dir', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'where the admin mounts a stopped qube\'s image to look into it', show: 'findmnt STATE/qubes/QUBE/mnt/admin' },
    { id: 'mnt-admin-tree', layer: 'qube', pattern: `${v(vp.adminMnt)}/**`, kind: 'tree', presence: 'optional', survivesRemoval: false, survivesReboot: false, encrypted: false,
      reveals: 'the image\'s files while the admin has it mounted', show: 'ls -la STATE/qubes/QUBE/mnt/admin' },
    { id: 'mnt-root', layer: 'qube', pattern: v(vp.rootMnt), kind: 'dir', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'a template\'s or standalone\'s root image, loop-mounted while it runs', show: 'findmnt STATE/qubes/QUBE/mnt/root' },
    { id: 'mnt-root-tree', layer: 'qube', pattern: `${v(vp.rootMnt)}/**`, kind: 'tree', presence: 'optional', survivesRemoval: false, survivesReboot: false, encrypted: false,
      reveals: 'the root image\'s upper and work while mounted', show: 'ls -la STATE/qubes/QUBE/mnt/root' },
    { id: 'revisions', layer: 'qube', pattern: v(vp.revisions), kind: 'dir', presence: 'qube', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'earlier states of the private volume, named by the time of each stop', show: 'bulkhead volume revisions QUBE' },
    { id: 'revision-incoming', layer: 'qube', pattern: v(join(vp.revisions, `${INCOMING_PREFIX}*`)), kind: 'image-or-dir', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'a revision being copied when the daemon stopped', show: 'ls -a STATE/qubes/QUBE/revisions' },
    { id: 'revision-incoming-tree', layer: 'qube', pattern: v(join(vp.revisions, `${INCOMING_PREFIX}*/**`)), kind: 'tree', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'its files', show: 'ls -aR STATE/qubes/QUBE/revisions' },
    { id: 'revision', layer: 'qube', pattern: v(join(vp.revisions, '{rev}')), kind: 'image-or-dir', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'the private volume as it was at one stop: files the user deleted later are still here', show: 'bulkhead volume revisions QUBE' },
    { id: 'revision-tree', layer: 'qube', pattern: v(join(vp.revisions, '{rev}/**')), kind: 'tree', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'files of a directory revision', show: 'ls -laR STATE/qubes/QUBE/revisions/REV' },
    { id: 'root', layer: 'qube', pattern: v(vp.root), kind: 'image-or-dir', presence: 'qube', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'changes to the root filesystem: kept for a template or standalone (an image), discarded at stop for an app qube or disposable (a directory)', show: 'ls -la STATE/qubes/QUBE/root' },
    { id: 'tor-data', layer: 'gateway', pattern: `${v(vp.rootUpper)}${TOR_DATA_DIR_IN_QUBE}`, kind: 'dir', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: "tor's data directory of a gateway that is an app qube, while it runs: guard state, cached consensus and descriptors (the upper layer is discarded at stop)", show: 'ls -la STATE/qubes/GATEWAY/root/upper/var/lib/bulkhead-tor' },
    { id: 'tor-data-tree', layer: 'gateway', pattern: `${v(vp.rootUpper)}${TOR_DATA_DIR_IN_QUBE}/**`, kind: 'tree', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'its files: `state` names the guards used, `cached-*` the network view and times', show: 'cat STATE/qubes/GATEWAY/root/upper/var/lib/bulkhead-tor/state' },
    { id: 'root-upper', layer: 'qube', pattern: `${v(vp.rootUpper)}`, kind: 'dir', presence: 'app-root', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'the overlay upper layer of an app qube or disposable', show: 'ls -la STATE/qubes/QUBE/root/upper' },
    { id: 'root-upper-tree', layer: 'qube', pattern: `${v(vp.rootUpper)}/**`, kind: 'tree', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'every file the qube wrote outside /home and /rw since it started (logs, root\'s shell history, caches, package changes): in a tmpfs bounded by volatile_size when that is set, else on the disk, where its blocks stay after the stop until reused', show: 'find STATE/qubes/QUBE/root/upper' },
    { id: 'root-work', layer: 'qube', pattern: `${v(vp.rootWork)}`, kind: 'dir', presence: 'app-root', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: "overlayfs' work directory", show: 'ls -la STATE/qubes/QUBE/root/work' },
    { id: 'root-work-tree', layer: 'qube', pattern: `${v(vp.rootWork)}/**`, kind: 'tree', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: "overlayfs' own bookkeeping (no qube data)", show: 'ls -laR STATE/qubes/QUBE/root/work' },
    { id: 'volatile', layer: 'qube', pattern: v(vp.volatile), kind: 'dir', presence: 'qube', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'scratch volume, emptied at every start', show: 'ls -la STATE/qubes/QUBE/volatile' },
    { id: 'volatile-tree', layer: 'qube', pattern: `${v(vp.volatile)}/**`, kind: 'tree', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'what the qube put on its scratch volume since its last start', show: 'find STATE/qubes/QUBE/volatile' },
    { id: 'rootfs', layer: 'qube', pattern: v(vp.rootfs), kind: 'dir', presence: 'own-root', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: "a template's or standalone's root filesystem: installed packages and their configuration", show: 'chroot STATE/qubes/TEMPLATE/rootfs dpkg -l' },
    { id: 'rootfs-tree', layer: 'qube', pattern: `${v(vp.rootfs)}/**`, kind: 'tree', presence: 'own-root', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'its files', show: 'find STATE/qubes/TEMPLATE/rootfs -newer STATE/state.db' },
    { id: 'private-restore', layer: 'qube', pattern: v(vp.restore), kind: 'image-or-dir', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'a revert in progress', show: 'ls -la STATE/qubes/QUBE' },
    { id: 'private-restore-tree', layer: 'qube', pattern: `${v(vp.restore)}/**`, kind: 'tree', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'its files', show: 'ls -laR STATE/qubes/QUBE/.private-restore' },
    { id: 'revert-journal', layer: 'qube', pattern: v(vp.journal), kind: 'file', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'which revision a cut-short revert was restoring', show: 'cat STATE/qubes/QUBE/revert.journal.json' },
    { id: 'root-revisions', layer: 'qube', pattern: v(vp.rootRevisions), kind: 'dir', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: "a template's earlier roots", show: 'bulkhead volume revisions TEMPLATE root' },
    { id: 'root-revision-tree', layer: 'qube', pattern: v(join(vp.rootRevisions, '**')), kind: 'tree', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'a template root as it was before a change (packages since removed)', show: 'ls STATE/qubes/TEMPLATE/root-revisions' },
    { id: 'root-journal', layer: 'qube', pattern: v(vp.rootJournal), kind: 'file', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'a template root commit or revert in progress', show: 'cat STATE/qubes/TEMPLATE/root.journal.json' },
    { id: 'lower-record', layer: 'qube', pattern: v(vp.lowerRecord), kind: 'file', presence: 'running-app', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'which template root (device:inode) a running app qube or disposable boots from', show: 'cat STATE/qubes/QUBE/lower-root.json' },
    { id: 'qube-incoming', layer: 'qube', pattern: v(join(vp.dir, `${INCOMING_PREFIX}*`)), kind: 'image-or-dir', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: "a template's new root or root image being made (only during a root commit or an import)", show: 'ls -a STATE/qubes/TEMPLATE' },
    { id: 'qube-incoming-tree', layer: 'qube', pattern: v(join(vp.dir, `${INCOMING_PREFIX}*/**`)), kind: 'tree', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'its files', show: 'ls -aR STATE/qubes/TEMPLATE' },
    { id: 'root-merge', layer: 'qube', pattern: v(join(vp.dir, `${MERGE_PREFIX}*`)), kind: 'dir', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: "mount point of a template's merged root view during a root commit", show: 'findmnt -R STATE/qubes/TEMPLATE' },
    { id: 'root-merge-tree', layer: 'qube', pattern: v(join(vp.dir, `${MERGE_PREFIX}*/**`)), kind: 'tree', presence: 'optional', survivesRemoval: false, survivesReboot: false, encrypted: false,
      reveals: 'the merged view while mounted', show: 'findmnt -R STATE/qubes/TEMPLATE' },
    { id: 'root-image-mount', layer: 'qube', pattern: v(join(vp.dir, `${ROOT_IMAGE_PREFIX}*`)), kind: 'dir', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: "where a root commit mounts a template's root image", show: 'findmnt -R STATE/qubes/TEMPLATE' },
    { id: 'root-image-mount-tree', layer: 'qube', pattern: v(join(vp.dir, `${ROOT_IMAGE_PREFIX}*/**`)), kind: 'tree', presence: 'optional', survivesRemoval: false, survivesReboot: false, encrypted: false,
      reveals: 'the root image while mounted', show: 'findmnt -R STATE/qubes/TEMPLATE' },
    { id: 'qube-trash', layer: 'qube', pattern: v(join(vp.dir, `${TRASH_PREFIX}*`)), kind: 'image-or-dir', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'a volume being deleted when the daemon stopped', show: 'ls -a STATE/qubes/QUBE' },
    { id: 'qube-trash-tree', layer: 'qube', pattern: v(join(vp.dir, `${TRASH_PREFIX}*/**`)), kind: 'tree', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'its files', show: 'ls -aR STATE/qubes/QUBE' },

    // ---- each qube: runtime files while it runs ----
    { id: 'bundle', layer: 'qube', pattern: rel(bundle.bundle), kind: 'dir', presence: 'running', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: "the qube's OCI bundle: that it runs", show: 'ls -la STATE/run/qubes/QUBE' },
    { id: 'bundle-config', layer: 'qube', pattern: rel(bundle.config), kind: 'file', presence: 'running', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: "the qube's whole configuration: uid range, memory, mounts, capabilities, seccomp, network namespace", show: 'jq . STATE/run/qubes/QUBE/config.json' },
    { id: 'bundle-pid', layer: 'qube', pattern: rel(bundle.pidFile), kind: 'file', presence: 'running', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: "the host pid of the qube's init", show: 'cat STATE/run/qubes/QUBE/pid' },
    { id: 'bundle-root', layer: 'qube', pattern: rel(bundle.merged), kind: 'dir', presence: 'running', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: "mount point of the qube's merged root (template below, its upper above)", show: 'findmnt STATE/run/qubes/QUBE/root' },
    { id: 'bundle-lower', layer: 'qube', pattern: rel(bundle.lowerTmp), kind: 'dir', presence: 'running', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'mount point of the template root while the merged root is made', show: 'findmnt STATE/run/qubes/QUBE/lower' },
    { id: 'bundle-private', layer: 'qube', pattern: rel(bundle.privateMnt), kind: 'dir', presence: 'running', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'mount point of the id-mapped private volume', show: 'findmnt STATE/run/qubes/QUBE/private' },
    { id: 'bundle-tree', layer: 'qube', pattern: `${rel(bundle.bundle)}/**`, kind: 'tree', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'whatever else the runtime keeps in the bundle (empty when not mounted)', show: 'ls -laR STATE/run/qubes/QUBE' },
    { id: 'rpc-dir', layer: 'qube', pattern: rel(rpcDir), kind: 'dir', presence: 'running', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: "the qube's RPC socket directory", show: 'ls -la STATE/run/rpc/QUBE' },
    { id: 'rpc-sockets', layer: 'qube', pattern: rel(join(rpcDir, 'sockets')), kind: 'dir', presence: 'running', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: `the directory mounted into the qube at ${IN_QUBE_RPC.rpc}`, show: 'ls -la STATE/run/rpc/QUBE/sockets' },
    { id: 'rpc-broker-socket', layer: 'qube', pattern: rel(join(rpcDir, 'sockets', 'broker.sock')), kind: 'socket', presence: 'running', survivesRemoval: false, survivesReboot: false, encrypted: false,
      reveals: 'where the qube makes RPC calls', show: 'ss -xp | grep QUBE/sockets' },
    { id: 'rpc-agent-socket', layer: 'qube', pattern: rel(join(rpcDir, 'sockets', 'agent.sock')), kind: 'socket', presence: 'running', survivesRemoval: false, survivesReboot: false, encrypted: false,
      reveals: "where the qube's agent takes calls made to it", show: 'ss -xp | grep QUBE/sockets' },
    { id: 'net-dir', layer: 'qube', pattern: rel(netQubeDir(p, Q)), kind: 'dir', presence: 'networked', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'that a qube has a network', show: 'ls -la STATE/run/net/QUBE' },
    { id: 'net-resolv', layer: 'qube', pattern: rel(join(netQubeDir(p, Q), 'resolv.conf')), kind: 'file', presence: 'networked', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: "the qube's virtual DNS servers", show: 'cat STATE/run/net/QUBE/resolv.conf' },

    // ---- gateways and workstations ----
    { id: 'whonix-dir', layer: 'gateway', pattern: rel(wsDir), kind: 'dir', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'that a qube is (or was) a gateway or workstation', show: 'ls -la STATE/run/whonix' },
    { id: 'gateway-files', layer: 'gateway', pattern: rel(torDir), kind: 'dir', presence: 'gateway', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'files mounted into the gateway', show: 'ls -la STATE/run/whonix/GATEWAY/tor' },
    { id: 'gateway-torrc', layer: 'gateway', pattern: rel(join(torDir, 'torrc')), kind: 'file', presence: 'gateway', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: "tor's configuration: one listener set per workstation (their addresses), bridges if any, the control password's hash", show: 'cat STATE/run/whonix/GATEWAY/tor/torrc' },
    { id: 'gateway-torrc-defaults', layer: 'gateway', pattern: rel(join(torDir, 'empty')), kind: 'file', presence: 'gateway', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: 'nothing: an empty defaults file', show: 'ls -l STATE/run/whonix/GATEWAY/tor/empty' },
    { id: 'gateway-supervisor', layer: 'gateway', pattern: rel(join(torDir, SUPERVISOR_FILE)), kind: 'file', presence: 'gateway', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: "the script that runs tor in the gateway", show: `cat STATE/run/whonix/GATEWAY/tor/${SUPERVISOR_FILE}` },
    { id: 'gateway-control-password', layer: 'gateway', pattern: rel(join(wsDir, CONTROL_PASSWORD_FILE)), kind: 'file', presence: 'gateway', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: "the control password of the gateway's tor for this start (root only)", show: 'ls -l STATE/run/whonix/GATEWAY/control-password' },
    { id: 'gateway-control-filter-pid', layer: 'gateway', pattern: rel(join(wsDir, CONTROL_FILTER_PID_FILE)), kind: 'file', presence: 'gateway', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: "the pid and start time of the gateway's control-port filter", show: `cat STATE/run/whonix/GATEWAY/${CONTROL_FILTER_PID_FILE}` },
    { id: 'gateway-control-dir', layer: 'gateway', pattern: rel(join(wsDir, 'ctl')), kind: 'dir', presence: 'optional', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: "sockets of the control filter's connections", show: 'ls -la STATE/run/whonix/GATEWAY/ctl' },
    { id: 'gateway-control-socket', layer: 'gateway', pattern: rel(join(wsDir, 'ctl', 'ctl-*.sock')), kind: 'socket', presence: 'optional', survivesRemoval: false, survivesReboot: false, encrypted: false,
      reveals: 'one control connection of the admin to the gateway', show: 'ls -la STATE/run/whonix/GATEWAY/ctl' },
    ...WORKSTATION_FILES.map((f): Row => ({
      id: `workstation-${f.replace('.', '-')}`, layer: 'workstation', pattern: rel(join(wsDir, f)), kind: 'file', presence: 'workstation', survivesRemoval: false, survivesReboot: true, encrypted: false,
      reveals: `the workstation's /etc/${f}: the same for every workstation (Whonix's identity)`, show: `cat STATE/run/whonix/WORKSTATION/${f}`,
    })),

    // ---- the lab ----
    { id: 'lab-dir', layer: 'lab', pattern: rel(lab), kind: 'dir', presence: 'optional', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'that the lab world was used', show: 'bulkhead lab status' },
    { id: 'lab-record', layer: 'lab', pattern: rel(join(lab, STATE_FILE)), kind: 'file', presence: 'lab', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: "the lab's namespaces, processes and uplinks", show: `jq . STATE/lab/${STATE_FILE}` },
    { id: 'lab-record-tmp', layer: 'lab', pattern: rel(join(lab, `${STATE_FILE}.tmp`)), kind: 'file', presence: 'optional', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'the record being rewritten', show: `ls -l STATE/lab` },
    { id: 'lab-lock', layer: 'lab', pattern: rel(join(lab, LOCK_FILE)), kind: 'file', presence: 'optional', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'a lab change in progress', show: 'ls -l STATE/lab' },
    ...[...CERT_FILES, WEB_SERVER_FILE, DNS_PID_FILE].map((f): Row => ({
      id: `lab-${f.replace(/\./g, '-')}`, layer: 'lab', pattern: rel(join(lab, f)), kind: 'file', presence: 'lab', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: f.endsWith('.key') ? 'a private key of the lab\'s certificate authority or web server' : f === DNS_PID_FILE ? 'the pid of the lab\'s DNS server' : f === WEB_SERVER_FILE ? 'the lab web hosts\' server script' : 'a certificate of the lab', show: `ls -l STATE/lab/${f}`,
    })),
    { id: 'lab-host-log', layer: 'lab', pattern: rel(join(lab, '*.log')), kind: 'file', presence: 'lab', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'requests each lab host served (web pages, DNS names asked)', show: 'tail STATE/lab/*.log' },
    { id: 'lab-tor-info', layer: 'lab', pattern: rel(join(lab, TOR_INFO_FILE)), kind: 'file', presence: 'optional', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: "the lab Tor network's bridge line, onion address and exits (while the lab runs Tor)", show: `jq . STATE/lab/${TOR_INFO_FILE}` },
    { id: 'lab-tor', layer: 'lab', pattern: rel(join(lab, TOR_DIR)), kind: 'dir', presence: 'optional', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: "the private Tor network's directory", show: 'ls STATE/lab/tor' },
    { id: 'lab-tor-tree', layer: 'lab', pattern: rel(join(lab, TOR_DIR, '**')), kind: 'tree', presence: 'optional', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'keys, torrcs, logs and consensus of each lab Tor node', show: 'ls -R STATE/lab/tor' },

    // ---- host, outside the state directory ----
    { id: 'packages', layer: 'host', scope: 'host', pattern: `dpkg:${SETUP_PACKAGES.join(',')}`, kind: 'kernel', presence: 'optional', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'Debian packages installed by scripts/setup, in dpkg\'s status and logs with their install times', show: `dpkg-query -W ${SETUP_PACKAGES.join(' ')}; grep ' install ' /var/log/dpkg.log` },
    { id: 'cli-link', layer: 'host', scope: 'host', pattern: CLI_LINK, kind: 'file', presence: 'optional', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'where the bulkhead checkout is (a link made by scripts/setup)', show: `readlink ${CLI_LINK}` },
    { id: 'systemd-unit', layer: 'host', scope: 'host', pattern: join(UNIT_DIR, UNIT_NAME), kind: 'file', presence: 'optional', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'that bulkheadd starts at boot, and its state directory', show: `systemctl cat ${UNIT_NAME}` },
    { id: 'journal', layer: 'host', scope: 'host', pattern: `journal:${UNIT_NAME}`, kind: 'kernel', presence: 'optional', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: "the daemon's stderr when systemd runs it (start and stop times)", show: `journalctl -u ${UNIT_NAME}` },
    { id: 'template-cache', layer: 'host', scope: 'host', pattern: join(opts.cacheDir, '*'), kind: 'file', presence: 'optional', survivesRemoval: null, survivesReboot: true, encrypted: false,
      reveals: 'template tarballs built with mmdebstrap and their package lists', show: `ls -l ${opts.cacheDir}` },
    { id: 'uid-claim', layer: 'host', scope: 'host', pattern: join(UID_REGISTRY_DIR, '{id}.json'), kind: 'file', presence: 'daemon', survivesRemoval: null, survivesReboot: false, encrypted: false,
      reveals: 'the path of each state directory in use and its host uid range', show: `cat ${UID_REGISTRY_DIR}/*.json` },
    { id: 'crun-state', layer: 'qube', scope: 'host', pattern: join(CRUN_STATE_ROOT, '{prefix}-{qube}'), kind: 'dir', presence: 'running', survivesRemoval: false, survivesReboot: false, encrypted: false,
      reveals: "crun's record of the qube's container: bundle, pid, creation time", show: `crun --root ${CRUN_STATE_ROOT} state PREFIX-QUBE` },

    // ---- kernel state (gone at reboot) ----
    { id: 'cgroup', layer: 'kernel', scope: 'kernel', pattern: `/sys/fs/cgroup${CGROUP_PARENT}/{prefix}-{qube}`, kind: 'kernel', presence: 'running', survivesRemoval: false, survivesReboot: false, encrypted: false,
      reveals: "the qube's processes, memory and cpu use (cgroup v2; under each controller on v1)", show: `cat /sys/fs/cgroup${CGROUP_PARENT}/PREFIX-QUBE/cgroup.procs` },
    { id: 'netns', layer: 'kernel', scope: 'kernel', pattern: netns, kind: 'kernel', presence: 'networked', survivesRemoval: false, survivesReboot: false, encrypted: false,
      reveals: "a networked qube's network namespace: its links, addresses, routes, conntrack entries (connections it made)", show: 'ip netns exec PREFIX-QUBE ip addr; conntrack -L' },
    { id: 'veth', layer: 'kernel', scope: 'kernel', pattern: `link:${vifName(0).replace('0', '{qid}')}`, kind: 'kernel', presence: 'networked', survivesRemoval: false, survivesReboot: false, encrypted: false,
      reveals: "the netvm's end of a qube's link (the qid in its name)", show: 'ip netns exec PREFIX-NETVM ip -br link' },
    { id: 'nft-firewall', layer: 'kernel', scope: 'kernel', pattern: `nft:{prefix}-{netvm}:inet ${DEFAULT_TABLE}`, kind: 'kernel', presence: 'optional', survivesRemoval: false, survivesReboot: false, encrypted: false,
      reveals: "the firewall of every qube behind a netvm, with counters", show: `ip netns exec PREFIX-NETVM nft list table inet ${DEFAULT_TABLE}` },
    { id: 'nft-nat', layer: 'kernel', scope: 'kernel', pattern: `nft:{prefix}-{netvm}:ip ${NAT_TABLE}`, kind: 'kernel', presence: 'optional', survivesRemoval: false, survivesReboot: false, encrypted: false,
      reveals: "a netvm's masquerading", show: `ip netns exec PREFIX-NETVM nft list table ip ${NAT_TABLE}` },
    { id: 'nft-gateway', layer: 'kernel', scope: 'kernel', pattern: `nft:{prefix}-{gateway}:inet ${DEFAULT_GATEWAY_TABLE}`, kind: 'kernel', presence: 'optional', survivesRemoval: false, survivesReboot: false, encrypted: false,
      reveals: "a gateway's redirections to tor, per workstation", show: `ip netns exec PREFIX-GATEWAY nft list table inet ${DEFAULT_GATEWAY_TABLE}` },
    { id: 'nft-lockdown', layer: 'kernel', scope: 'kernel', pattern: `nft:{prefix}-{gateway}:inet ${DEFAULT_LOCKDOWN_TABLE}`, kind: 'kernel', presence: 'optional', survivesRemoval: false, survivesReboot: false, encrypted: false,
      reveals: "a gateway's fail-closed table while it starts", show: `ip netns exec PREFIX-GATEWAY nft list table inet ${DEFAULT_LOCKDOWN_TABLE}` },
    { id: 'nft-workstation', layer: 'kernel', scope: 'kernel', pattern: `nft:{prefix}-{qube}:inet ${DEFAULT_WORKSTATION_TABLE}`, kind: 'kernel', presence: 'optional', survivesRemoval: false, survivesReboot: false, encrypted: false,
      reveals: "a workstation's own table", show: `ip netns exec PREFIX-WORKSTATION nft list table inet ${DEFAULT_WORKSTATION_TABLE}` },
    { id: 'mounts', layer: 'kernel', scope: 'kernel', pattern: 'mount:STATE/**', kind: 'kernel', presence: 'running', survivesRemoval: false, survivesReboot: false, encrypted: false,
      reveals: "each running qube's overlay root, id-mapped private bind, loop-mounted images (and the loop devices' backing files)", show: 'findmnt -R STATE; losetup -l' },
  ];
  return rows.map((r) => ({ ...r, scope: r.scope ?? 'state' }));
}
