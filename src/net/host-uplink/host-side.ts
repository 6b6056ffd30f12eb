// The host side of a host uplink, as a parameter: the host's network namespace (a real machine's own, or a test's sim-host) and commands run there.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BulkheadError } from '../../errors/index.js';
import { run, type RunOptions, type RunResult } from '../../exec/index.js';
import { checkNetnsName, ipBatch, netnsExec, netnsExists, NETNS_ETC_DIR } from '../index.js';
import { readLabState } from '../../lab/index.js';
import { labNetns } from '../../model/lab-plan.js';

/**
 * `netns` null is the namespace the daemon runs in: the host's own, on a real machine. A name is a
 * namespace that stands for the host; only tests set one (BULKHEAD_HOST_NETNS), and the code path is
 * otherwise the same: every ip, nft and sysctl of the host side goes through these functions.
 */
export interface HostSide {
  netns: string | null;
}

/** The name a host uplink's interface has inside sys-net (the NIC, or the nat veth's end). */
export const SYSNET_IF = 'eth0';

/** FOR TESTS ONLY: the named namespace that stands for the host (a sim-host made for the run). */
export const HOST_NETNS_ENV = 'BULKHEAD_HOST_NETNS';
/** FOR TESTS ONLY, honoured only with a sim-host: fail the uplink's set-up at this step (see FAULT_STEPS). */
export const FAULT_ENV = 'BULKHEAD_TEST_UPLINK_FAULT';
export const FAULT_STEPS = ['exclusive-moved', 'exclusive-configured', 'nat-veth', 'nat-forward'] as const;

export function hostSide(env: NodeJS.ProcessEnv = process.env): HostSide {
  const n = env[HOST_NETNS_ENV];
  return { netns: n === undefined || n === '' ? null : checkNetnsName(n) };
}

export function describeHost(side: HostSide): string {
  return side.netns === null ? "the host's namespace" : `the host namespace ${side.netns}`;
}

/** A test's fault point: throws at `step` when the sim-host's test asked for it; never on a real machine. */
export function faultPoint(side: HostSide, step: (typeof FAULT_STEPS)[number], env: NodeJS.ProcessEnv = process.env): void {
  if (side.netns !== null && env[FAULT_ENV] === step) throw new BulkheadError('ERR_NETWORK', `host uplink: fault injected at ${step} (test)`);
}

export async function checkHostExists(side: HostSide): Promise<void> {
  if (side.netns !== null && !(await netnsExists(side.netns)))
    throw new BulkheadError('ERR_NETWORK', `${HOST_NETNS_ENV}: namespace ${side.netns} does not exist`);
}

/** Run a program on the host side. */
export function hostRun(side: HostSide, cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return side.netns === null ? run(cmd, args, opts) : netnsExec(side.netns, cmd, args, opts);
}

/** `ip -batch` on the host side. */
export function hostIp(side: HostSide, lines: readonly string[], opts: { force?: boolean; json?: boolean } = {}): Promise<string> {
  return ipBatch(lines, { ...opts, netns: side.netns ?? undefined });
}

/** `ip -j ARGS` on the host side, parsed. */
export async function hostIpJson(side: HostSide, args: readonly string[]): Promise<unknown[]> {
  const r = await run('ip', [...(side.netns === null ? [] : ['-n', side.netns]), '-j', ...args], { timeoutMs: 10_000, allowFail: true });
  if (r.code !== 0) return [];
  return r.stdout.trim() === '' ? [] : (JSON.parse(r.stdout) as unknown[]);
}

/** What `ip link set DEV netns X` needs to send a link to the host side: its name, or the daemon's own pid for its own namespace. */
export function hostNetnsRef(side: HostSide): string {
  return side.netns ?? String(process.pid);
}

export async function hostSysctlGet(side: HostSide, key: string): Promise<string> {
  return (await hostRun(side, 'sysctl', ['-n', key], { timeoutMs: 10_000 })).stdout.trim();
}

export async function hostSysctlSet(side: HostSide, key: string, value: string): Promise<void> {
  await hostRun(side, 'sysctl', ['-q', '-w', `${key}=${value}`], { timeoutMs: 10_000 });
}

/** The resolv.conf texts the host side resolves with, best first (systemd-resolved's upstream list before the stub). */
export async function hostResolvConfs(side: HostSide): Promise<(string | undefined)[]> {
  const files = side.netns === null ? ['/run/systemd/resolve/resolv.conf', '/etc/resolv.conf'] : [join(NETNS_ETC_DIR, side.netns, 'resolv.conf')];
  return Promise.all(
    files.map((f) =>
      readFile(f, 'utf8').then(
        (t) => t.slice(0, 65536),
        () => undefined,
      ),
    ),
  );
}

/** Refuse a host side that is not a host: one of this state directory's own namespaces (the lab's, a qube's). */
export async function checkHostSide(home: string, prefix: string, side: HostSide): Promise<void> {
  if (side.netns !== null) {
    // The lab's namespaces are PREFIX-lab-NAME (whether it is up or not); attached hosts may live in others it records.
    const lab = await readLabState(join(home, 'lab')).catch(() => undefined);
    const labNs = new Set([...(lab?.hosts ?? []).map((h) => h.netns), ...(lab?.uplinks ?? []).map((u) => u.netns)]);
    if (labNs.has(side.netns) || side.netns.startsWith(labNetns(prefix, ''))) {
      throw new BulkheadError(
        'ERR_NETWORK',
        `the host side (${HOST_NETNS_ENV}=${side.netns}) is the lab, not a host: the lab has its own uplink, use init --uplink lab`,
      );
    }
    if (side.netns.startsWith(`${prefix}-`))
      throw new BulkheadError('ERR_NETWORK', `the host side (${HOST_NETNS_ENV}=${side.netns}) is a namespace of this state directory's qubes, not a host`);
  }
  await checkHostExists(side);
}
