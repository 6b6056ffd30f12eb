// Benchmark of encrypted qubes: `dd` inside an encrypted qube as a ratio of a plain one, start cost, and the layers measured on the host (ext4, fscrypt, gocryptfs); writes bench/results/crypt.json.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { coreDaemon, type CoreDaemon } from '../test/integration/core-fixture.js';

const RUNS = Number(process.env.BENCH_CRYPT_RUNS ?? 3);
const MIB = Number(process.env.BENCH_CRYPT_MIB ?? 256);
const RUN = process.env.BULKHEAD_TEST_RUN ?? 'bhb';
const helper = fileURLToPath(new URL('../native/build/bh-fscrypt', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

/** MB/s from dd's last line ("… copied, 1.23 s, 218 MB/s"), computed from bytes and seconds. */
function ddRate(out: string): number {
  const m = /(\d+) bytes .* copied, ([\d.]+) s/.exec(out);
  if (!m) throw new Error(`no dd summary in: ${out}`);
  return Math.round(Number(m[1]) / Number(m[2]) / 1e6);
}

/** dd write (with fsync: fscrypt encrypts at write-back) and read (the file's cache dropped first: iflag=nocache) of MIB MiB. */
const DD = (f: string) =>
  `dd if=/dev/zero of=${f} bs=1M count=${MIB} conv=fsync 2>&1 | tail -1; dd if=${f} iflag=nocache count=0 2>/dev/null; dd if=${f} of=/dev/null bs=1M 2>&1 | tail -1; rm -f ${f}`;

function parseDd(out: string): { write: number; read: number } {
  const lines = out
    .trim()
    .split('\n')
    .filter((l) => /copied/.test(l));
  if (lines.length !== 2) throw new Error(`dd output: ${out}`);
  return { write: ddRate(lines[0] as string), read: ddRate(lines[1] as string) };
}

async function inQubes(): Promise<Record<string, unknown>> {
  const d: CoreDaemon = await coreDaemon('bcrypt');
  const secrets = mkdtempSync(`/var/tmp/${RUN}-bcrypt-pass-`);
  const pf = join(secrets, 'p');
  writeFileSync(pf, `${randomBytes(16).toString('hex')}\n`, { mode: 0o600 });
  try {
    const size = `${Math.max(512, 2 * MIB)}M`;
    d.ok(['create', 'enc', '--template', 'debian-12', '--label', 'red', '--prop', `private_size=${size}`, '--encrypted', '--passphrase-file', pf]);
    d.ok(['create', 'plain', '--template', 'debian-12', '--label', 'green', '--prop', `private_size=${size}`]);
    const startMs: Record<string, number[]> = { enc: [], plain: [] };
    for (let i = 0; i < RUNS; i++) {
      for (const q of ['plain', 'enc']) {
        const t0 = performance.now();
        d.ok(['start', q, ...(q === 'enc' ? ['--passphrase-file', pf] : [])]);
        startMs[q]!.push(Math.round(performance.now() - t0));
        d.ok(['shutdown', q]);
      }
    }
    d.ok(['start', 'plain']);
    d.ok(['start', 'enc', '--passphrase-file', pf]);
    const rates: Record<string, { write: number; read: number }[]> = { enc: [], plain: [] };
    for (let i = 0; i < RUNS; i++) {
      for (const q of ['plain', 'enc']) {
        const r = d.cli(['run', '--user', 'user', q, '--', 'sh', '-c', DD('/home/user/bench')], undefined, 600_000);
        if (r.code !== 0) throw new Error(`dd in ${q}: ${r.stderr}`);
        rates[q]!.push(parseDd(r.stdout));
      }
    }
    const m = (q: string, k: 'write' | 'read') => median(rates[q]!.map((x) => x[k]));
    return {
      mib: MIB,
      runs: RUNS,
      plain: { write_mb_per_s: m('plain', 'write'), read_mb_per_s: m('plain', 'read'), all: rates.plain },
      encrypted: { write_mb_per_s: m('enc', 'write'), read_mb_per_s: m('enc', 'read'), all: rates.enc },
      ratio_write: +(m('enc', 'write') / m('plain', 'write')).toFixed(2),
      ratio_read: +(m('enc', 'read') / m('plain', 'read')).toFixed(2),
      start_ms_p50: { plain: median(startMs.plain!), encrypted: median(startMs.enc!) },
    };
  } finally {
    for (const q of ['enc', 'plain']) d.cli(['kill', q]);
    await d.destroy();
    rmSync(secrets, { recursive: true, force: true });
  }
}

/** The same dd on the host, in one ext4 image: a plain directory, an fscrypt directory, and gocryptfs (when installed) over a directory. */
async function onHost(): Promise<Record<string, unknown>> {
  const base = mkdtempSync(`/var/tmp/${RUN}-bcrypt-layers-`);
  const img = join(base, 'img');
  const mnt = join(base, 'mnt');
  const sh = (s: string) => spawnSync('sh', ['-c', s], { encoding: 'utf8', timeout: 600_000 });
  let mounted = false;
  let gc: ChildProcess | undefined;
  try {
    mkdirSync(mnt);
    if (sh(`truncate -s ${4 * MIB + 512}M ${img} && mkfs.ext4 -q -F -O encrypt ${img} && mount -o loop,nosuid,nodev ${img} ${mnt}`).status !== 0)
      throw new Error('cannot make the layer image');
    mounted = true;
    mkdirSync(join(mnt, 'plain'));
    mkdirSync(join(mnt, 'fscrypt'));
    const key = randomBytes(64);
    const id = spawnSync(helper, ['add', mnt], { input: key, encoding: 'utf8' }).stdout.trim();
    if (spawnSync(helper, ['policy', join(mnt, 'fscrypt'), id]).status !== 0) throw new Error('cannot set an fscrypt policy');
    const layers: Record<string, { write: number; read: number }[]> = { ext4: [], fscrypt: [] };
    const gocryptfs = spawnSync('gocryptfs', ['-version'], { encoding: 'utf8' }).status === 0;
    if (gocryptfs) {
      mkdirSync(join(mnt, 'gc-cipher'));
      mkdirSync(join(mnt, 'gc'));
      const pw = join(base, 'pw');
      writeFileSync(pw, 'bench\n', { mode: 0o600 });
      if (sh(`gocryptfs -q -init -passfile ${pw} -scryptn 10 ${mnt}/gc-cipher`).status === 0) {
        // In the foreground, as our child: its end is awaited by its own pid after the unmount.
        gc = spawn('gocryptfs', ['-fg', '-q', '-nosyslog', '-passfile', pw, join(mnt, 'gc-cipher'), join(mnt, 'gc')], { stdio: 'ignore' });
        for (let i = 0; i < 100 && spawnSync('mountpoint', ['-q', join(mnt, 'gc')]).status !== 0; i++) await sleep(100);
        if (spawnSync('mountpoint', ['-q', join(mnt, 'gc')]).status === 0) layers.gocryptfs = [];
      }
    }
    for (let i = 0; i < RUNS; i++) {
      for (const l of Object.keys(layers)) {
        const dir = l === 'ext4' ? 'plain' : l === 'fscrypt' ? 'fscrypt' : 'gc';
        layers[l]!.push(parseDd(sh(DD(join(mnt, dir, 'bench'))).stdout));
      }
    }
    spawnSync(helper, ['remove', mnt, id]);
    const kernelXts =
      /driver\s*:\s*(xts\S*)/.exec(spawnSync('grep', ['-A2', 'name         : xts(aes)', '/proc/crypto'], { encoding: 'utf8' }).stdout)?.[1] ?? 'none';
    return {
      kernel_xts_aes_driver: kernelXts,
      gocryptfs_status: gocryptfs
        ? layers.gocryptfs
          ? 'installed, measured'
          : 'installed, mount failed'
        : 'not installed (apt-get install gocryptfs fuse3 to compare)',
      ...Object.fromEntries(
        Object.entries(layers).map(([l, xs]) => [l, { write_mb_per_s: median(xs.map((x) => x.write)), read_mb_per_s: median(xs.map((x) => x.read)) }]),
      ),
    };
  } finally {
    if (gc) {
      const child = gc;
      spawnSync('fusermount', ['-u', join(mnt, 'gc')]);
      const ended = new Promise((r) => child.once('exit', r));
      if (child.exitCode === null && child.signalCode === null) await Promise.race([ended, sleep(10_000)]);
      if (child.exitCode === null && child.signalCode === null && child.pid) {
        process.kill(child.pid, 'SIGKILL');
        await ended;
      }
    }
    if (mounted) spawnSync('umount', [mnt]);
    // Never remove below a file system still mounted (rm would empty it).
    if (spawnSync('mountpoint', ['-q', mnt]).status !== 0) rmSync(base, { recursive: true, force: true });
  }
}

const qubes = await inQubes();
const layers = await onHost();
const out = {
  benchmark: `dd of ${MIB} MiB (write with fsync, read with the file's cache dropped) inside an encrypted qube (fscrypt) and a plain one; layers on the host`,
  summary: [
    { metric: 'dd write in an encrypted qube / plain', value: qubes.ratio_write, unit: '×' },
    { metric: 'dd read in an encrypted qube / plain', value: qubes.ratio_read, unit: '×' },
    { metric: 'dd write in an encrypted qube', value: (qubes.encrypted as { write_mb_per_s: number }).write_mb_per_s, unit: 'MB/s' },
    { metric: 'dd read in an encrypted qube', value: (qubes.encrypted as { read_mb_per_s: number }).read_mb_per_s, unit: 'MB/s' },
    { metric: 'start of an encrypted qube (p50, scrypt included)', value: (qubes.start_ms_p50 as { encrypted: number }).encrypted, unit: 'ms' },
    { metric: 'start of a plain qube (p50)', value: (qubes.start_ms_p50 as { plain: number }).plain, unit: 'ms' },
  ],
  qubes,
  layers,
  host: { cpus: cpus().length, cpu: cpus()[0]?.model, loadavg_1m_at_end: +(loadavg()[0] ?? 0).toFixed(2) },
  node: process.version,
  date: new Date().toISOString(),
};
mkdirSync(new URL('./results', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/crypt.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
console.log(JSON.stringify(out, null, 2));
