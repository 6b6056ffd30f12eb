// The systemd unit of bulkheadd as text: pure, from absolute paths of the installed checkout and the state directory.
import { BulkheadError } from '../errors/index.js';

/** Name of the unit file `bulkhead daemon install` writes. */
export const UNIT_NAME = 'bulkheadd.service';
/** Seconds the ordered shutdown of every qube may take at unit stop before the rest are killed. */
export const STOP_QUBES_TIMEOUT_S = 90;
/** TimeoutStopSec: the qubes' budget, then up to 10 s for the daemon to exit, and margin for the kills. */
export const UNIT_STOP_TIMEOUT_S = STOP_QUBES_TIMEOUT_S + 30;

/** The first line of every unit install writes: uninstall removes only such a file unless forced. */
export const UNIT_MARK = '# bulkheadd: the admin daemon of bulkhead, written by `bulkhead daemon install`';

export interface UnitInput {
  /** Absolute path of the node binary that runs bulkhead. */
  node: string;
  /** Absolute path of the checkout (holds dist/daemon/main.js and dist/cli/main.js). */
  repo: string;
  /** The state directory baked into the unit's Environment. */
  home: string;
}

/**
 * Only absolute paths of plain characters: systemd would read a space as an argument separator, `%` as
 * a specifier and `\` or a quote as escapes, so such a path is refused rather than quoted.
 */
function plainPath(field: string, p: string): string {
  if (!/^\/[A-Za-z0-9._+@/-]*$/.test(p) || p.split('/').some((c) => c === '..')) {
    throw new BulkheadError(
      'ERR_INVALID_VALUE',
      `${field} '${p}' cannot go into a systemd unit: it must be an absolute path of letters, digits and . _ + @ - / only`,
    );
  }
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/** The command lines the unit runs (also what the tests run directly). */
export function unitCommands(input: UnitInput): { start: string[]; stop: string[] } {
  const node = plainPath('node', input.node);
  const repo = plainPath('checkout', input.repo);
  return {
    start: [node, '--title=bulkheadd', `${repo}/dist/daemon/main.js`],
    stop: [node, `${repo}/dist/cli/main.js`, 'daemon', 'stop', '--shutdown-qubes', '--timeout', String(STOP_QUBES_TIMEOUT_S)],
  };
}

export function unitText(input: UnitInput): string {
  const home = plainPath('BULKHEAD_HOME', input.home);
  const repo = plainPath('checkout', input.repo);
  const cmd = unitCommands(input);
  return `${UNIT_MARK} (rewrite it with --force).
[Unit]
Description=bulkhead admin daemon (bulkheadd, state ${home})
Documentation=file://${repo}/docs/real-machine.md
After=local-fs.target
# At most 5 starts in 5 minutes: a daemon that cannot start (a bad state directory) stops being retried.
StartLimitIntervalSec=300
StartLimitBurst=5

[Service]
# bulkheadd runs in the foreground; it writes one line when ready and one line of error when a start fails.
Type=exec
Environment=BULKHEAD_HOME=${home}
ExecStart=${cmd.start.join(' ')}
# Stop shuts every qube down first, in netvm-chain order (workstations and app qubes, gateways,
# sys-firewall, sys-net), within ${STOP_QUBES_TIMEOUT_S} s, then stops the daemon. The qubes' processes live in
# cgroups of their own (/bulkhead/...), outside this unit's: systemd's kill would not reach them.
# After a crash systemd runs it too: it finds no daemon and leaves the qubes running, and the
# restarted daemon finds them again.
ExecStop=${cmd.stop.join(' ')}
TimeoutStopSec=${UNIT_STOP_TIMEOUT_S}
Restart=on-failure
RestartSec=5
# Sandboxing, and why almost none of systemd's applies (bulkheadd is root and makes namespaces,
# mounts, cgroups, nft rules and loop devices for the qubes):
# - Not used: ProtectSystem, ProtectHome, PrivateTmp, PrivateDevices, ProtectKernelTunables,
#   ProtectKernelModules, ProtectControlGroups, ReadWritePaths and the like. Each puts bulkheadd in a
#   mount namespace of its own, so the qubes' mounts and /run/netns would no longer be the host's,
#   and makes read-only what it writes: /sys/fs/cgroup (crun's qube cgroups), /proc/sys (forwarding
#   in netvms), /dev (loop devices of volumes), /etc/netns.
# - Not used: NoNewPrivileges, SystemCallFilter, RestrictNamespaces, RestrictSUIDSGID,
#   LockPersonality, CapabilityBoundingSet. What they set is inherited by every process of every qube
#   (measured: a qube's init shows NoNewPrivs 1 under a no_new_privs daemon), so sudo and set-uid
#   programs in the qubes, set-uid files in template updates and the namespaces crun makes would break.
#   MemoryDenyWriteExecute would also stop node's JIT.
# - Used: the umask is set, not inherited: bulkheadd sets private modes itself, and a 077 umask was
#   measured to break every non-root user in a qube. KillMode=mixed: the daemon gets SIGTERM, then
#   any helper it left in this unit's cgroup SIGKILL (measured: with qubes running it has no child).
UMask=0022
KillMode=mixed
StandardInput=null

[Install]
WantedBy=multi-user.target
`;
}
