// The `ns` runtime: one detached crun container per qube, root = overlay over an idmapped template, private volume at /rw and /home/user.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BulkheadError } from '../../errors/index.js';
import { run } from '../../exec/index.js';
import type { ExecOptions, QubeRuntimeSpec, Runtime, RuntimeInstance } from '../types.js';
import { detectCgroupLayout, isFrozen, removeCgroupDirs, type CgroupLayout } from './cgroups.js';
import { crunArgv, parseCrunList, parseCrunState, type CrunInvocation } from './crun.js';
import { prepareQubeDirs, removeTree, wipeUpper } from './host-fs.js';
import { buildOciConfig, qubePaths } from './oci-config.js';
import { resolveQubeUser } from './passwd.js';
import { lockVolumes, mountVolumes, volumeMountPoints } from './volume-mounts.js';
import { inCgroup, pidAlive, waitPidGone } from './pids.js';
import { CGROUP_PARENT, CRUN_STATE_ROOT } from './host-paths.js';
import { qubeSeccompProfile, seccompProfileLines, type SeccompArch } from './seccomp.js';

export interface NsRuntimeOptions {
  /** crun binary (default /usr/bin/crun). */
  crunPath?: string;
  /** Directory holding the built native helpers (default: native/build of this checkout). */
  nativeDir?: string;
  /** crun's state directory (default /run/crun). */
  stateRoot?: string;
  /** Parent cgroup of every qube (default /bulkhead). */
  cgroupParent?: string;
  /** Grace init gives processes after SIGTERM (default 3000 ms). */
  initGraceMs?: number;
  /** Override cgroup layout detection (tests). */
  cgroupLayout?: CgroupLayout;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const DEFAULT_NATIVE = fileURLToPath(new URL('../../../native/build', import.meta.url));

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ');
}

export function createNsRuntime(opts: NsRuntimeOptions = {}): Runtime {
  const nativeDir = opts.nativeDir ?? DEFAULT_NATIVE;
  const layout = opts.cgroupLayout ?? detectCgroupLayout();
  const inv: CrunInvocation = {
    crunPath: opts.crunPath ?? '/usr/bin/crun',
    wrapperPath: `${nativeDir}/crun-v1`,
    layout,
    stateRoot: opts.stateRoot ?? CRUN_STATE_ROOT,
  };
  const idmapMount = `${nativeDir}/idmap-mount`;
  const initHostPath = `${nativeDir}/qube-init`;
  const cgroupParent = opts.cgroupParent ?? CGROUP_PARENT;
  const arch: SeccompArch = process.arch === 'arm64' ? 'arm64' : 'x64';
  for (const f of [idmapMount, initHostPath, ...(layout === 'hybrid' ? [inv.wrapperPath] : [])]) {
    if (!existsSync(f)) throw new BulkheadError('ERR_RUNTIME', `native helper ${f} is missing (run make -C native)`);
  }
  /** Merged root of each qube this process knows (for user lookups in exec). */
  const roots = new Map<string, string>();
  /** The seccomp profile compiled once per runtime; null when compiling failed (crun compiles it then). */
  let bpf: Promise<string | null> | null = null;
  const seccompBpf = () =>
    (bpf ??= run(`${nativeDir}/seccomp-bpf`, [], { input: seccompProfileLines(qubeSeccompProfile(arch)), timeoutMs: 10_000 })
      .then((r) => (/^[A-Za-z0-9+/=]+\n$/.test(r.stdout) ? r.stdout.trim() : null))
      .catch(() => null));
  const cgroupOf = (id: string) => `${cgroupParent}/${id}`;

  async function crun(args: string[], allowFail = false) {
    const argv = crunArgv(inv, args);
    return run(argv[0] as string, argv.slice(1), { timeoutMs: 30_000, allowFail });
  }

  /** The init pid from the pid file, if that process is still our qube's init. */
  function initPid(spec: QubeRuntimeSpec): number | null {
    let pid: number;
    try {
      pid = Number(readFileSync(qubePaths(spec).pidFile, 'utf8').trim());
    } catch {
      return null;
    }
    if (!Number.isInteger(pid) || pid <= 1 || !pidAlive(pid)) return null;
    // The kernel says whose it is: a process in the qube's own cgroup (what it runs cannot change
    // that), never a command line, which any process chooses for itself.
    return inCgroup(pid, cgroupOf(spec.id)) ? pid : null;
  }

  async function state(id: string): Promise<RuntimeInstance | null> {
    if (!existsSync(`${inv.stateRoot}/${id}`)) return null;
    const res = await crun(['state', id], true);
    if (res.code !== 0) return null;
    const e = parseCrunState(res.stdout);
    if (!e) return null;
    if (e.bundle) roots.set(e.id, `${e.bundle}/root`);
    return { id: e.id, pid: e.pid, status: e.status };
  }

  /** Ends the qube's processes: SIGTERM to init (unless `force`), wait, then SIGKILL. */
  async function endProcesses(spec: QubeRuntimeSpec, timeoutMs: number, force: boolean): Promise<void> {
    const pid = initPid(spec);
    if (pid === null) return;
    if (isFrozen(layout, cgroupOf(spec.id))) await crun(['resume', spec.id], true);
    if (!force) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return; // already gone
      }
      if (await waitPidGone(pid, timeoutMs)) return;
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return;
    }
    if (!(await waitPidGone(pid, 5_000))) {
      throw new BulkheadError('ERR_TIMEOUT', `${spec.name}: init (pid ${pid}) did not exit after SIGKILL`);
    }
  }

  async function cleanup(spec: QubeRuntimeSpec): Promise<void> {
    const p = qubePaths(spec);
    if (initPid(spec) !== null) {
      throw new BulkheadError('ERR_QUBE_RUNNING', `${spec.name} is running; stop or kill it before cleaning up`);
    }
    const hasState = existsSync(`${inv.stateRoot}/${spec.id}`);
    // The overlay and binds first, then the volumes under them (a loop image's device is released by its unmount).
    // An encrypted qube: its binds of the encrypted directories go first, then the keys (nothing
    // holds those files open any more, so the kernel forgets them entirely), then the images.
    if (spec.crypt) {
      await run(idmapMount, ['umount', p.merged, p.privateMnt, p.lowerTmp], { timeoutMs: 30_000, allowFail: true });
      await lockVolumes(spec);
    }
    const umount = [idmapMount, 'umount', p.merged, p.privateMnt, p.lowerTmp, ...volumeMountPoints(spec)];
    const argv = hasState ? [...umount, '--', ...crunArgv(inv, ['delete', '--force', spec.id])] : umount;
    const res = await run(argv[0] as string, argv.slice(1), { timeoutMs: 30_000, allowFail: true });
    if (res.code !== 0) {
      const ownFailure = res.stderr.includes('idmap-mount:') || !/does not exist|No such file/i.test(res.stderr);
      if (ownFailure) throw new BulkheadError('ERR_RUNTIME', `cleanup of ${spec.name} failed: ${lastLines(res.stderr)}`);
    }
    if (spec.volatileRoot) wipeUpper(spec);
    const left = removeCgroupDirs(layout, cgroupOf(spec.id));
    if (left.length > 0) throw new BulkheadError('ERR_RUNTIME', `cleanup of ${spec.name}: cgroups still busy: ${left.join(', ')}`);
    removeTree(spec.runDir);
    roots.delete(spec.id);
  }

  return {
    kind: 'ns',

    async start(spec) {
      const config = buildOciConfig(spec, {
        initHostPath,
        cgroupsPath: cgroupOf(spec.id),
        initGraceMs: opts.initGraceMs,
        arch,
        seccompBpfBase64: (await seccompBpf()) ?? undefined,
      });
      if (existsSync(`${inv.stateRoot}/${spec.id}`)) {
        throw new BulkheadError('ERR_QUBE_RUNNING', `${spec.name} (${spec.id}) already exists in crun; stop or clean it up first`);
      }
      const p = qubePaths(spec);
      try {
        await mountVolumes(spec, idmapMount);
        prepareQubeDirs(spec);
        writeFileSync(p.config, JSON.stringify(config), { mode: 0o600 });
        rmSync(p.pidFile, { force: true });
      } catch (e) {
        await cleanup(spec).catch(() => {});
        throw e;
      }
      const argv = [
        idmapMount,
        'mount',
        ...(spec.volatileRoot ? ['--volatile'] : []),
        spec.lowerDir,
        p.lowerTmp,
        p.upper,
        p.work,
        p.merged,
        String(spec.uidBase),
        String(spec.uidCount),
        p.privateData,
        p.privateMnt,
        '--',
        ...crunArgv(inv, ['run', '--detach', `--pid-file=${p.pidFile}`, `--bundle=${p.bundle}`, spec.id]),
      ];
      let failure = 'init is not running';
      let pid: number | null = null;
      try {
        const res = await run(argv[0] as string, argv.slice(1), { timeoutMs: 30_000, allowFail: true });
        if (res.code === 0) pid = initPid(spec);
        else failure = lastLines(res.stderr) || `exit ${res.code}`;
      } catch (e) {
        failure = (e as Error).message;
      }
      if (pid === null) {
        await endProcesses(spec, 0, true).catch(() => {});
        await cleanup(spec).catch(() => {});
        throw new BulkheadError('ERR_RUNTIME', `cannot start ${spec.name}: ${failure}`);
      }
      roots.set(spec.id, p.merged);
      return { id: spec.id, pid, status: 'running' };
    },

    async stop(spec, timeoutMs) {
      await endProcesses(spec, timeoutMs, false);
      await cleanup(spec);
    },

    async kill(spec) {
      await endProcesses(spec, 0, true);
      await cleanup(spec);
    },

    async pause(id) {
      await crun(['pause', id]);
    },

    async unpause(id) {
      await crun(['resume', id]);
    },

    exec(id: string, argv: string[], o: ExecOptions = {}): ChildProcessWithoutNullStreams {
      if (o.tty) throw new BulkheadError('ERR_RUNTIME', 'exec with a terminal is not supported by the ns runtime');
      if (argv.length === 0) throw new BulkheadError('ERR_INVALID_VALUE', 'exec: empty command');
      let root = roots.get(id);
      if (root === undefined && o.user !== undefined && !/^(root|\d+(:\d+)?)$/.test(o.user)) {
        const res = spawnSync(...split(crunArgv(inv, ['state', id])), { encoding: 'utf8', timeout: 10_000 });
        const e = res.status === 0 ? parseCrunState(res.stdout) : null;
        if (e?.bundle) roots.set(id, (root = `${e.bundle}/root`));
      }
      const user = resolveQubeUser(root, o.user);
      const env = { PATH: DEFAULT_PATH, TERM: 'xterm', HOME: user.home, ...o.env };
      const args = [
        'exec',
        '--no-new-privs',
        `--user=${user.uid}:${user.gid}`,
        `--cwd=${o.cwd ?? (user.home === '/' ? '/' : user.home)}`,
        ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
        id,
        ...argv,
      ];
      const [cmd, rest] = split(crunArgv(inv, args));
      return spawn(cmd, rest, { stdio: 'pipe' });
    },

    state,

    async list(prefix) {
      const res = await crun(['list', '--format=json'], true);
      if (res.code !== 0) throw new BulkheadError('ERR_RUNTIME', `crun list failed: ${lastLines(res.stderr)}`);
      return parseCrunList(res.stdout)
        .filter((e) => e.id.startsWith(prefix))
        .map((e) => {
          if (e.bundle) roots.set(e.id, `${e.bundle}/root`);
          return { id: e.id, pid: e.pid, status: e.status };
        });
    },

    cleanup,
  };
}

function split(argv: string[]): [string, string[]] {
  return [argv[0] as string, argv.slice(1)];
}
