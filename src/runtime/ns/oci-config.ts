// Builds a qube's OCI runtime config (config.json for crun) from its runtime spec: a pure function returning an object.
import { BulkheadError } from '../../errors/index.js';
import type { QubeRuntimeSpec } from '../types.js';
import { qubeCaps } from './caps.js';
import { qubeSeccompProfile, type SeccompArch } from './seccomp.js';

/** Where qube-init appears inside every qube. */
export const INIT_PATH_IN_QUBE = '/run/bulkhead/init';
/** uid/gid of `user` inside a qube; owns /home/user. */
export const QUBE_USER_ID = 1000;

export interface OciConfigOptions {
  /** Host path of the qube-init binary (bind-mounted read-only). */
  initHostPath: string;
  /** cgroup path of the qube, e.g. `/bulkhead/ID`. */
  cgroupsPath: string;
  /** How long init lets processes stop after SIGTERM before it kills them. */
  initGraceMs?: number;
  arch?: SeccompArch;
  /**
   * The same seccomp profile precompiled to BPF (base64). crun then loads it as is instead of
   * compiling `linux.seccomp` on every start and exec; the JSON profile stays in the config.
   */
  seccompBpfBase64?: string;
}

/** Paths the runtime derives from a spec; shared with the effectful side so both agree. */
export function qubePaths(spec: Pick<QubeRuntimeSpec, 'runDir' | 'rootRwDir' | 'privateDir' | 'crypt'>) {
  const { privateData, rootData } = dataDirs(spec);
  return {
    bundle: spec.runDir,
    config: `${spec.runDir}/config.json`,
    pidFile: `${spec.runDir}/pid`,
    merged: `${spec.runDir}/root`,
    lowerTmp: `${spec.runDir}/lower`,
    /** The private volume bound nosuid,nodev on the host; /rw and /home/user are bound from here. */
    privateMnt: `${spec.runDir}/private`,
    /** What the qube gets as /rw: privateDir, or the encrypted directory inside the image mounted there. */
    privateData,
    rootData,
    upper: `${rootData}/upper`,
    work: `${rootData}/work`,
    home: `${privateData}/home/user`,
    homeMnt: `${spec.runDir}/private/home/user`,
  };
}

/** Where the data of the private volume and the root layer is: an encrypted image keeps it in a subdirectory. */
export function dataDirs(spec: Pick<QubeRuntimeSpec, 'rootRwDir' | 'privateDir' | 'crypt'>): { privateData: string; rootData: string } {
  const c = spec.crypt;
  return {
    privateData: c?.private ? `${spec.privateDir}/${c.dataSubdir}` : spec.privateDir,
    rootData: c?.root ? `${spec.rootRwDir}/${c.dataSubdir}` : spec.rootRwDir,
  };
}

export const MASKED_PATHS: readonly string[] = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/proc/interrupts',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
  '/sys/kernel/debug',
  '/sys/kernel/security',
];

export const READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const MIB = 1024 * 1024;
const CPU_PERIOD_US = 100_000;

function checkSpec(spec: QubeRuntimeSpec): void {
  const bad = (field: string, why: string): never => {
    throw new BulkheadError('ERR_INVALID_VALUE', `runtime spec of ${spec.name}: ${field} ${why}`);
  };
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(spec.id)) bad('id', `${JSON.stringify(spec.id)} is not a valid runtime id`);
  for (const f of ['lowerDir', 'rootRwDir', 'privateDir', 'runDir'] as const) {
    const p = spec[f];
    if (!p.startsWith('/') || p.includes(',') || p.includes(':') || p.split('/').includes('..')) {
      bad(f, `must be an absolute path without ',', ':' or '..' (got ${JSON.stringify(p)})`);
    }
  }
  if (!Number.isInteger(spec.uidBase) || spec.uidBase < 65536) bad('uidBase', 'must be an integer ≥ 65536');
  if (!Number.isInteger(spec.uidCount) || spec.uidCount < 65536) bad('uidCount', 'must be an integer ≥ 65536');
  if (!Number.isInteger(spec.memoryMiB) || spec.memoryMiB < 1) bad('memoryMiB', 'must be a positive integer');
  if (!Number.isInteger(spec.maxmemMiB) || spec.maxmemMiB < spec.memoryMiB) bad('maxmemMiB', 'must be an integer ≥ memoryMiB');
  if (!(spec.vcpus > 0)) bad('vcpus', 'must be positive');
  if (!Number.isInteger(spec.pidsMax) || spec.pidsMax < 1) bad('pidsMax', 'must be a positive integer');
  if (spec.crypt) {
    if (!/^[0-9a-f]{32}$/.test(spec.crypt.keyId)) bad('crypt.keyId', 'must be 32 hex digits');
    if (!/^[a-z]+$/.test(spec.crypt.dataSubdir)) bad('crypt.dataSubdir', 'must be one plain name');
    if (spec.crypt.private && (spec.privateImage === undefined || spec.privateTmpfsBytes !== undefined)) bad('crypt.private', 'needs a private image');
    if (spec.crypt.root && (spec.rootImage === undefined || spec.volatileRoot)) bad('crypt.root', 'needs a persistent root image');
  }
  for (const [i, m] of spec.mounts.entries()) {
    if (!m.source.startsWith('/') || !m.destination.startsWith('/')) bad(`mounts[${i}]`, 'needs absolute source and destination');
  }
}

/** The OCI config (runtime-spec 1.0) that runs one qube. */
export function buildOciConfig(spec: QubeRuntimeSpec, opts: OciConfigOptions): Record<string, unknown> {
  checkSpec(spec);
  const p = qubePaths(spec);
  const caps = qubeCaps(spec.extraCaps);
  const env = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/root',
    TERM: 'xterm',
    container: 'bulkhead',
    ...spec.env,
  };
  const newNetns = spec.netnsPath === null;
  const namespaces: Array<{ type: string; path?: string }> = [
    { type: 'pid' },
    { type: 'ipc' },
    { type: 'uts' },
    { type: 'mount' },
    { type: 'cgroup' },
    { type: 'user' },
    newNetns ? { type: 'network' } : { type: 'network', path: spec.netnsPath as string },
  ];
  const idMap = [{ containerID: 0, hostID: spec.uidBase, size: spec.uidCount }];
  const mounts: Array<Record<string, unknown>> = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      // Not nodev: its nodes are the qube's own pseudo-terminals (newinstance), which xterm opens through /dev/ptmx.
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'],
    },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    // sysfs can only be mounted for a network namespace the qube's user namespace owns; for a
    // joined (host-made) one crun would fall back to binding the host's whole /sys, so the qube
    // gets an empty read-only /sys instead.
    newNetns
      ? { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] }
      : { destination: '/sys', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'noexec', 'nodev', 'ro', 'size=0k', 'mode=555'] },
    { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=755', 'size=65536k'] },
    { destination: INIT_PATH_IN_QUBE, type: 'bind', source: opts.initHostPath, options: ['bind', 'ro', 'nosuid', 'nodev'] },
    // Bound from the host-side nosuid,nodev mount of the private volume (crun does not apply those
    // flags to read-write binds), so they are inherited and locked.
    { destination: '/rw', type: 'bind', source: p.privateMnt, options: ['bind', 'rw', 'nosuid', 'nodev'] },
    { destination: '/home/user', type: 'bind', source: p.homeMnt, options: ['bind', 'rw', 'nosuid', 'nodev'] },
    ...spec.mounts.map((m) => ({
      destination: m.destination,
      type: 'bind',
      source: m.source,
      options: ['bind', m.readonly ? 'ro' : 'rw', 'nosuid', 'nodev'],
    })),
  ];
  const memory: Record<string, number> = { limit: spec.maxmemMiB * MIB };
  if (spec.memoryMiB < spec.maxmemMiB) memory.reservation = spec.memoryMiB * MIB;
  return {
    ociVersion: '1.0.2',
    ...(opts.seccompBpfBase64 ? { annotations: { 'run.oci.seccomp_bpf_data': opts.seccompBpfBase64 } } : {}),
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: [INIT_PATH_IN_QUBE, String(opts.initGraceMs ?? 3000)],
      env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: true,
    },
    root: { path: p.merged, readonly: false },
    hostname: spec.hostname,
    mounts,
    linux: {
      uidMappings: idMap,
      gidMappings: idMap,
      namespaces,
      // Unprivileged ICMP echo (ping) in the qube's own network namespace.
      sysctl: newNetns ? { 'net.ipv4.ping_group_range': `0 ${spec.uidCount - 1}` } : {},
      cgroupsPath: opts.cgroupsPath,
      resources: {
        devices: [{ allow: false, access: 'rwm' }],
        memory,
        cpu: { quota: Math.max(1000, Math.round(spec.vcpus * CPU_PERIOD_US)), period: CPU_PERIOD_US },
        pids: { limit: spec.pidsMax },
      },
      rootfsPropagation: 'rprivate',
      maskedPaths: [...MASKED_PATHS],
      readonlyPaths: [...READONLY_PATHS],
      seccomp: qubeSeccompProfile(opts.arch ?? 'x64'),
    },
  };
}
