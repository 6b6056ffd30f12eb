// Named network namespaces: create, delete, list, run a command inside, sysctls, per-namespace /etc files.
import { readdir, rm, mkdir, writeFile, stat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, type RunOptions, type RunResult } from '../exec/index.js';
import { BulkheadError } from '../errors/index.js';
import { ipBatch } from './batch.js';
import { checkNetnsName } from './names.js';

/** Where `ip netns` keeps its bind mounts, and where `ip netns exec` finds per-namespace /etc files. */
export const NETNS_RUN_DIR = '/run/netns';
export const NETNS_ETC_DIR = '/etc/netns';

/** Create namespaces (one `ip` process for all). Fails if any already exists. */
export async function netnsAdd(names: readonly string[]): Promise<void> {
  names.forEach(checkNetnsName);
  await ipBatch(names.map((n) => `netns add ${n}`));
}

/**
 * Delete namespaces (one `ip` process; missing ones are ignored) and their /etc/netns/NAME files.
 * A namespace lives on while a process is inside it: end those first.
 */
export async function netnsDelete(names: readonly string[]): Promise<void> {
  names.forEach(checkNetnsName);
  const present = (await Promise.all(names.map(async (n) => ((await netnsExists(n)) ? n : null)))).filter((n): n is string => n !== null);
  await ipBatch(
    present.map((n) => `netns delete ${n}`),
    { force: true },
  );
  await Promise.all(names.map((n) => removeNetnsEtc(n)));
  const left = (await Promise.all(present.map(async (n) => ((await netnsExists(n)) ? n : null)))).filter((n) => n !== null);
  if (left.length > 0) throw new BulkheadError('ERR_NETWORK', `could not delete namespaces: ${left.join(', ')}`);
}

export async function netnsExists(name: string): Promise<boolean> {
  try {
    await stat(join(NETNS_RUN_DIR, checkNetnsName(name)));
    return true;
  } catch {
    return false;
  }
}

/** Named namespaces, optionally only those whose name starts with `prefix`. */
export async function netnsList(prefix = ''): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(NETNS_RUN_DIR);
  } catch {
    return [];
  }
  return names.filter((n) => n.startsWith(prefix)).sort();
}

/** Inode of a named namespace: what `/proc/PID/ns/net` shows as `net:[INODE]` for a process inside it. */
export async function netnsInode(name: string): Promise<number | undefined> {
  try {
    return (await stat(join(NETNS_RUN_DIR, checkNetnsName(name)))).ino;
  } catch {
    return undefined;
  }
}

/** Run a program inside a namespace (`ip netns exec`, which execs it: no extra process stays). */
export function netnsExec(name: string, cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return run('ip', ['netns', 'exec', checkNetnsName(name), cmd, ...args], opts);
}

/** PIDs of every process whose network namespace is this one. */
export async function netnsPids(name: string): Promise<number[]> {
  if (!(await netnsExists(name))) return [];
  const res = await run('ip', ['netns', 'pids', checkNetnsName(name)], { allowFail: true, timeoutMs: 10_000 });
  return res.stdout
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

const SYSCTL_KEY = /^net\.[A-Za-z0-9_.-]+$/;

/** Set `net.*` sysctls inside a namespace, all in one process. */
export async function netnsSysctl(name: string, settings: Readonly<Record<string, string | number>>): Promise<void> {
  const args = Object.entries(settings).map(([k, v]) => {
    if (!SYSCTL_KEY.test(k)) throw new BulkheadError('ERR_INVALID_VALUE', `sysctl: "${k}" is not a net.* key`);
    if (!/^[A-Za-z0-9_.-]+( [A-Za-z0-9_.-]+)*$/.test(String(v))) throw new BulkheadError('ERR_INVALID_VALUE', `sysctl ${k}: bad value "${String(v)}"`);
    return `${k}=${String(v)}`;
  });
  if (args.length === 0) return;
  await netnsExec(name, 'sysctl', ['-q', '-w', ...args], { timeoutMs: 10_000 });
}

/** Read one `net.*` sysctl inside a namespace. */
export async function netnsSysctlGet(name: string, key: string): Promise<string> {
  if (!SYSCTL_KEY.test(key)) throw new BulkheadError('ERR_INVALID_VALUE', `sysctl: "${key}" is not a net.* key`);
  return (await netnsExec(name, 'sysctl', ['-n', key], { timeoutMs: 10_000 })).stdout.trim();
}

/** The sysctls that switch IPv6 off in a whole namespace (set before links are created, so new links inherit it). */
export const SYSCTL_NO_IPV6 = {
  'net.ipv6.conf.all.disable_ipv6': 1,
  'net.ipv6.conf.default.disable_ipv6': 1,
} as const;

/** IPv6 off on one link only. */
export function sysctlNoIpv6On(ifname: string): Record<string, number> {
  return { [`net.ipv6.conf.${ifname}.disable_ipv6`]: 1 };
}

export const SYSCTL_FORWARD = { 'net.ipv4.ip_forward': 1 } as const;

/**
 * Write /etc/netns/NAME/resolv.conf, which `ip netns exec NAME` bind-mounts over /etc/resolv.conf.
 * Remove it with `removeNetnsEtc` (netnsDelete does).
 */
export async function writeNetnsResolvConf(name: string, servers: readonly string[]): Promise<string> {
  const dir = join(NETNS_ETC_DIR, checkNetnsName(name));
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'resolv.conf');
  await writeFile(file, servers.map((s) => `nameserver ${s}\n`).join('') + 'options timeout:1 attempts:2\n');
  return file;
}

export async function readNetnsResolvConf(name: string): Promise<string | undefined> {
  try {
    return await readFile(join(NETNS_ETC_DIR, checkNetnsName(name), 'resolv.conf'), 'utf8');
  } catch {
    return undefined;
  }
}

export async function removeNetnsEtc(name: string): Promise<void> {
  await rm(join(NETNS_ETC_DIR, checkNetnsName(name)), { recursive: true, force: true });
}
