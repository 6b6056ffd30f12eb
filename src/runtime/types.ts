// The runtime interface: how the admin side starts, stops and enters a qube. `ns` (crun) implements it.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';

export type RuntimeStatus = 'running' | 'paused' | 'stopped';

export interface BindMount {
  source: string;
  destination: string;
  readonly: boolean;
}

/** Everything the runtime needs to start one qube; computed by the admin side from the model. */
export interface QubeRuntimeSpec {
  /** Qube name (for logs and hostname defaults). */
  name: string;
  /** Runtime id, unique on the host: `${prefix}-${name}`. Also names the cgroup. */
  id: string;
  hostname: string;
  /** Template root filesystem (read-only lower layer). */
  lowerDir: string;
  /** Directory holding the overlay `upper` and `work`; kept for template/standalone, discarded for app/disposable. */
  rootRwDir: string;
  /** If true the upper is discarded at stop (app, disposable); false keeps it (template, standalone). */
  volatileRoot: boolean;
  /** The private volume's directory: mounted at /rw and /home/user. */
  privateDir: string;
  /**
   * Size of the tmpfs that holds the discarded root layer (upper and work, at rootRwDir) while a
   * volatileRoot qube runs: writes beyond it fail with ENOSPC. Unset = on the pool's disk, unbounded.
   */
  volatileBytes?: number;
  /** A private volume whose data is discarded (disposable): a tmpfs of this size at privateDir. */
  privateTmpfsBytes?: number;
  /** A persistent private volume kept as an ext4 image: loop-mounted at privateDir while the qube runs. */
  privateImage?: string;
  /**
   * A persistent root layer (template, standalone) kept as an ext4 image holding `upper/` and
   * `work/`: loop-mounted at rootRwDir while the qube runs, so its writes end in ENOSPC at the
   * image's size. Unset (and volatileRoot false) = a directory on the pool's disk, unbounded.
   */
  rootImage?: string;
  /**
   * Encrypted images (fscrypt): after mounting privateImage (and rootImage when `root`), the
   * runtime gives the kernel `key`, wipes it, and uses the encrypted directory `dataSubdir` of
   * each image as the private directory (the root layer's upper and work); at cleanup it removes
   * key `keyId` before unmounting. `key` is present only in the spec a start is given.
   */
  crypt?: { keyId: string; dataSubdir: string; private: boolean; root: boolean; key?: Buffer };
  /** The qube's own uid/gid range on the host: root inside = uidBase outside. */
  uidBase: number;
  uidCount: number;
  memoryMiB: number;
  maxmemMiB: number;
  vcpus: number;
  pidsMax: number;
  /** Path of a network namespace to join (e.g. /run/netns/NAME); null = a new empty one (only `lo`). */
  netnsPath: string | null;
  /** Extra bind mounts (RPC socket, agent binaries). */
  mounts: BindMount[];
  env: Record<string, string>;
  /**
   * Capabilities added to the small default bounding set, e.g. `CAP_NET_RAW` for a workstation
   * that must open raw sockets. Only a short list of capabilities may be added (see ns/caps.ts).
   */
  extraCaps?: string[];
  /** Runtime files (bundle, merged root) live below this directory. */
  runDir: string;
}

export interface RuntimeInstance {
  id: string;
  pid: number;
  status: RuntimeStatus;
}

export interface ExecOptions {
  user?: string;
  env?: Record<string, string>;
  cwd?: string;
  tty?: boolean;
}

export interface Runtime {
  readonly kind: 'ns' | 'kvm';
  /** Start the qube; resolves when its init runs. */
  start(spec: QubeRuntimeSpec): Promise<RuntimeInstance>;
  /** Ask init to shut down, wait up to timeoutMs, then kill; always cleans runtime leftovers. */
  stop(spec: QubeRuntimeSpec, timeoutMs: number): Promise<void>;
  /** Kill at once and clean up. */
  kill(spec: QubeRuntimeSpec): Promise<void>;
  pause(id: string): Promise<void>;
  unpause(id: string): Promise<void>;
  /** Run a command inside; the caller owns the stdio pipes and the exit code. */
  exec(id: string, argv: string[], opts?: ExecOptions): ChildProcessWithoutNullStreams;
  /** Current state of one qube, or null when the runtime does not know it. */
  state(id: string): Promise<RuntimeInstance | null>;
  /** Every instance whose id starts with prefix (for re-adoption after a daemon restart). */
  list(prefix: string): Promise<RuntimeInstance[]>;
  /** Remove leftovers of a qube that is not running (crun state, mounts, cgroups, run dir). */
  cleanup(spec: QubeRuntimeSpec): Promise<void>;
}
