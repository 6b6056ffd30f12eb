// Benchmark: backup create and restore of a 2 GiB private volume through the CLI and daemon (target >= 200 MB/s each); writes bench/results/backup.json.
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coreDaemon } from '../test/integration/core-fixture.js';

const RUNS = Number(process.env.BENCH_ROUNDS ?? 3);
const VOLUME = 2 * 1024 ** 3;
const TARGET = 200;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = () => Number(loadavg()[0]!.toFixed(2));
/** CPU seconds the daemon and its reaped children (tar, zstd) have used: utime+stime+cutime+cstime. */
function daemonCpu(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
}

async function main(): Promise<void> {
  const d = await coreDaemon('bench-bak');
  const loadStart = load();
  try {
    const dir = join(d.home, 'backups');
    mkdirSync(dir, { mode: 0o700 });
    const pass = join(dir, 'pass');
    writeFileSync(pass, 'benchmark passphrase\n', { mode: 0o600 });
    d.ok(['create', 'big', '--template', 'debian-12', '--label', 'red', '--prop', 'private_size=2G']);
    // A realistic mix: 1 GiB that does not compress (media, encrypted files), 160 MiB of text, the rest never written.
    d.ok(
      ['run', '--user', 'user', 'big', '--', 'sh', '-c', 'head -c 1G /dev/urandom > /home/user/random && seq 1 20000000 > /home/user/numbers'],
      undefined,
      600_000,
    );
    d.ok(['shutdown', 'big']);
    const create: number[] = [];
    const restore: number[] = [];
    const createCpu: number[] = [];
    const restoreCpu: number[] = [];
    const pid = d.daemonPid()!;
    let fileBytes = 0;
    for (let i = 0; i < RUNS; i++) {
      const file = join(dir, `b${i}.bhb`);
      let t0 = process.hrtime.bigint();
      let c0 = daemonCpu(pid);
      d.ok(['backup', 'create', file, 'big', '--passphrase-file', pass], undefined, 600_000);
      create.push(Number(process.hrtime.bigint() - t0) / 1e9);
      createCpu.push(+(daemonCpu(pid) - c0).toFixed(2));
      fileBytes = statSync(file).size;
      t0 = process.hrtime.bigint();
      c0 = daemonCpu(pid);
      d.ok(['backup', 'restore', file, '--rename-conflicts', '--passphrase-file', pass], undefined, 600_000);
      restore.push(Number(process.hrtime.bigint() - t0) / 1e9);
      restoreCpu.push(+(daemonCpu(pid) - c0).toFixed(2));
      d.ok(['remove', '--force', 'big1']);
    }
    const mbps = (xs: number[]) => xs.map((s) => Math.round(VOLUME / 1e6 / s));
    const result = {
      benchmark:
        'backup create / restore of a 2 GiB private volume (1 GiB random + 160 MiB text written), CLI to finished file / restored qube, scrypt included',
      volume_bytes: VOLUME,
      file_bytes: fileBytes,
      // CPU seconds of the daemon with tar and zstd (2 cores: wall time on an idle machine is at least half of it).
      create: { seconds: create.map((s) => +s.toFixed(2)), cpu_seconds: createCpu, mb_per_s: mbps(create), median_mb_per_s: median(mbps(create)) },
      restore: { seconds: restore.map((s) => +s.toFixed(2)), cpu_seconds: restoreCpu, mb_per_s: mbps(restore), median_mb_per_s: median(mbps(restore)) },
      summary: [
        {
          metric: 'backup create, 2 GiB private volume (median)',
          value: median(mbps(create)),
          unit: 'MB/s',
          target: `>= ${TARGET}`,
          meets: median(mbps(create)) >= TARGET,
        },
        {
          metric: 'backup restore, 2 GiB private volume (median)',
          value: median(mbps(restore)),
          unit: 'MB/s',
          target: `>= ${TARGET}`,
          meets: median(mbps(restore)) >= TARGET,
        },
      ],
      qubes_reference_mb_per_s: '25-150',
      host: { cpus: cpus().length, loadavg_1m_at_start: loadStart, loadavg_1m_at_end: load() },
      node: process.version,
      date: new Date().toISOString(),
    };
    mkdirSync(fileURLToPath(new URL('./results', import.meta.url)), { recursive: true });
    writeFileSync(fileURLToPath(new URL('./results/backup.json', import.meta.url)), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(result.summary, null, 2)}\n`);
  } finally {
    d.cli(['kill', 'big']);
    await d.destroy();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
