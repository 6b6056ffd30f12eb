// Shared set-up of the runtime integration tests and the runtime benchmark: a test-owned Debian rootfs and qube specs with a unique prefix.
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { run } from '../../src/exec/index.js';
import type { QubeRuntimeSpec } from '../../src/runtime/types.js';
import { TEST_ROOTFS_PARENT as ROOTFS_PARENT, TEST_TARBALL as TARBALL } from '../support/cache.js';

export const TEST_ROOTFS = `${ROOTFS_PARENT}/debian-12`;

/**
 * Extracts the probe Debian 12 tarball once (owners kept) and adds the qube user `user` (1000);
 * reused when present. The tarball is only read.
 */
export async function ensureTestRootfs(): Promise<string> {
  if (existsSync(`${TEST_ROOTFS}.ready`)) return TEST_ROOTFS;
  if (!existsSync(TARBALL)) throw new Error(`test rootfs tarball ${TARBALL} is missing`);
  mkdirSync(ROOTFS_PARENT, { recursive: true, mode: 0o700 });
  const tmp = `${TEST_ROOTFS}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { mode: 0o755 });
  await run('tar', ['-xpf', TARBALL, '-C', tmp], { timeoutMs: 300_000 });
  appendFileSync(`${tmp}/etc/passwd`, 'user:x:1000:1000:user:/home/user:/bin/bash\n');
  appendFileSync(`${tmp}/etc/group`, 'user:x:1000:\n');
  appendFileSync(`${tmp}/etc/shadow`, 'user:!:19000:0:99999:7:::\n');
  // Two files may extract at once (scripts/test runs two side by side): the first rename wins and the
  // other's copy is dropped; a tree no rename completed (a crash mid-way) is replaced.
  for (let attempt = 0; ; attempt++) {
    try {
      renameSync(tmp, TEST_ROOTFS);
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
      await new Promise((r) => setTimeout(r, 1000));
      if (existsSync(`${TEST_ROOTFS}.ready`)) {
        rmSync(tmp, { recursive: true, force: true });
        return TEST_ROOTFS;
      }
      if (attempt > 0) rmSync(TEST_ROOTFS, { recursive: true, force: true });
    }
  }
  writeFileSync(`${TEST_ROOTFS}.ready`, `${new Date().toISOString()}\n`);
  return TEST_ROOTFS;
}

/** A unique prefix for everything one test run creates. */
export function runPrefix(own: string): string {
  return `${process.env.BULKHEAD_TEST_RUN ?? `bht${randomBytes(3).toString('hex')}`}-${own}`;
}

/** A uid base for the test run: a random 65536-aligned range far above /etc/subuid ranges. */
export function testUidBase(slot: number, seed = randomBytes(2).readUInt16BE(0)): number {
  return (16384 + (seed % 2048) * 8 + (slot % 8)) * 65536;
}

export interface SpecOptions {
  prefix: string;
  name: string;
  base: string;
  lowerDir: string;
  uidBase: number;
  volatileRoot?: boolean;
  maxmemMiB?: number;
  netnsPath?: string | null;
  extraCaps?: string[];
}

export function testSpec(o: SpecOptions): QubeRuntimeSpec {
  const id = `${o.prefix}-${o.name}`;
  return {
    name: o.name,
    id,
    hostname: o.name,
    lowerDir: o.lowerDir,
    rootRwDir: `${o.base}/qubes/${o.name}/root`,
    volatileRoot: o.volatileRoot ?? true,
    privateDir: `${o.base}/qubes/${o.name}/private`,
    uidBase: o.uidBase,
    uidCount: 65536,
    memoryMiB: 64,
    maxmemMiB: o.maxmemMiB ?? 256,
    vcpus: 1,
    pidsMax: 256,
    netnsPath: o.netnsPath ?? null,
    mounts: [],
    env: {},
    runDir: `/run/bulkhead-test/${id}`,
    ...(o.extraCaps ? { extraCaps: o.extraCaps } : {}),
  };
}

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** Runs argv in a qube through the runtime and collects its output. */
export function execIn(
  rt: { exec: (id: string, argv: string[], o?: { user?: string }) => import('node:child_process').ChildProcessWithoutNullStreams },
  id: string,
  argv: string[],
  user?: string,
  input?: string,
): Promise<ExecResult> {
  const c = rt.exec(id, argv, user ? { user } : {});
  let out = '';
  let err = '';
  c.stdout.on('data', (d: Buffer) => (out += d.toString()));
  c.stderr.on('data', (d: Buffer) => (err += d.toString()));
  c.stdin.end(input ?? '');
  return new Promise((resolve, reject) => {
    c.on('error', reject);
    c.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
}

/**
 * A bare crun bundle for benchmarks to compare against: the rootfs read-only, no user namespace,
 * no overlay, runs `/bin/true`. `cgroupsPath` places it where cleanup can find it.
 */
export function writeBareBundle(dir: string, rootfs: string, cgroupsPath?: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const config = {
    ociVersion: '1.0.2',
    process: { terminal: false, user: { uid: 0, gid: 0 }, args: ['/bin/true'], env: ['PATH=/usr/bin:/bin'], cwd: '/' },
    root: { path: rootfs, readonly: true },
    hostname: 'bare',
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
    linux: {
      ...(cgroupsPath ? { cgroupsPath } : {}),
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }],
    },
  };
  writeFileSync(`${dir}/config.json`, JSON.stringify(config));
}
