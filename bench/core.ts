// Benchmark of the core through the real daemon and CLI, beside a bare `crun run`: app qube start/run/shutdown, disposables, idle memory, 500 qubes at once; writes bench/results/core.json.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { detectCgroupLayout, removeCgroupDirs } from '../src/runtime/ns/cgroups.js';
import { crunArgv } from '../src/runtime/ns/crun.js';
import { CLI } from '../test/integration/helpers/daemon.js';
import { coreDaemon, crunList, memoryCgroupOf, memoryCharged, type CoreDaemon } from '../test/integration/core-fixture.js';
import { writeBareBundle } from '../test/integration/runtime-fixture.js';
import { apiExec } from '../test/integration/helpers/api-exec.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 50);
const DISP_ROUNDS = Number(process.env.BENCH_DISP_ROUNDS ?? 30);
const IDLE_QUBES = Number(process.env.BENCH_IDLE_QUBES ?? 20);
const MASS = Number(process.env.BENCH_MASS ?? 500);
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? 8);
const layout = detectCgroupLayout();
const nativeDir = fileURLToPath(new URL('../native/build', import.meta.url));
const MiB = 1024 * 1024;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Number((s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN).toFixed(2));
};
const stats = (xs: number[]) => ({ p50: pct(xs, 50), p95: pct(xs, 95), min: pct(xs, 0), n: xs.length });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function meminfoKiB(key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(readFileSync('/proc/meminfo', 'utf8'));
  return Number(m?.[1] ?? NaN);
}

/** Wall time of a child process (spawned without a shell), ms; throws on a non-zero exit. */
function timed(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env: env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code === 0) resolve(ms);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim()}`));
    });
  });
}

async function api(d: CoreDaemon, method: string, path: string, body?: unknown): Promise<number> {
  const t0 = performance.now();
  const r = await d.api(method, path, body);
  if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return performance.now() - t0;
}

/** Runs `fn` over items with at most `n` at a time; returns the errors. */
async function pool<T>(items: T[], n: number, fn: (x: T) => Promise<unknown>): Promise<string[]> {
  const errors: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const x = items[next++] as T;
        await fn(x).catch((e: unknown) => errors.push(e instanceof Error ? e.message : String(e)));
      }
    }),
  );
  return errors;
}

/** Durations (ms) the daemon logged for external programs matching `re` since byte offset `from` of its log. */
function daemonProgramMs(d: CoreDaemon, from: number, re: RegExp): number[] {
  const text = readFileSync(join(d.home, 'bulkheadd.log'), 'utf8').slice(from);
  const out: number[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes(' ms)')) continue;
    let msg = '';
    try {
      msg = String((JSON.parse(line) as { msg?: unknown }).msg ?? '');
    } catch {
      continue;
    }
    const m = / -> -?\d+ \((\d+) ms\)$/.exec(msg);
    if (m && re.test(msg)) out.push(Number(m[1]));
  }
  return out;
}
const logSize = (d: CoreDaemon) => {
  try {
    return readFileSync(join(d.home, 'bulkheadd.log'), 'utf8').length;
  } catch {
    return 0;
  }
};

/** Bytes charged to the memory cgroups of the running qubes whose crun id starts with idPrefix, and their count. */
function chargedBytes(idPrefix: string): { bytes: number; qubes: number } {
  let bytes = 0;
  let qubes = 0;
  for (const c of crunList(idPrefix)) {
    const dir = memoryCgroupOf(c.pid);
    if (!dir) continue;
    bytes += memoryCharged(dir);
    qubes++;
  }
  return { bytes, qubes };
}

async function bareCrun(rootfs: string, id: string, dir: string): Promise<number[]> {
  writeBareBundle(dir, rootfs, `/bulkhead/${id}`);
  const argv = crunArgv({ crunPath: '/usr/bin/crun', wrapperPath: `${nativeDir}/crun-v1`, layout, stateRoot: '/run/crun' }, ['run', `--bundle=${dir}`, id]);
  const times: number[] = [];
  try {
    for (let i = 0; i < ROUNDS; i++) times.push(await timed(argv[0] as string, argv.slice(1)));
  } finally {
    spawnSync('crun', ['delete', '--force', id]);
    removeCgroupDirs(layout, `/bulkhead/${id}`);
    rmSync(dir, { recursive: true, force: true });
  }
  return times;
}

async function main(): Promise<void> {
  const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  process.env.BULKHEAD_LOG_LEVEL = 'debug'; // the daemon logs every external program with its duration
  const d = await coreDaemon('bench');
  process.env.BULKHEAD_HOME = d.home; // for the API exec client
  const result: Record<string, unknown> = {};
  const mass: string[] = [];
  try {
    // 1. bare crun run of a trivial bundle: the template rootfs read-only, /bin/true.
    const bare = await bareCrun(join(d.home, 'qubes', 'debian-12', 'rootfs'), `${d.prefix}-bare`, join(d.home, 'bare-bundle'));
    result.bareCrunRunTrueMs = stats(bare);

    // 2. What a CLI call costs before it reaches a qube: node start, and the CLI with one API call.
    const nodeOnly: number[] = [];
    const cliStatus: number[] = [];
    const apiVersion: number[] = [];
    for (let i = 0; i < 20; i++) {
      nodeOnly.push(await timed(process.execPath, ['-e', '0']));
      cliStatus.push(await timed(CLI, ['daemon', 'status'], d.env));
      apiVersion.push(await api(d, 'GET', '/version'));
    }
    result.overheadMs = { nodeStart: stats(nodeOnly), cliOneApiCall: stats(cliStatus), apiCallOnly: stats(apiVersion) };

    // 3. App qube: start + run true + shutdown, through the CLI and through the API alone.
    d.ok(['create', 'bq', '--template', 'debian-12', '--label', 'blue']);
    const cli = { start: [] as number[], runTrue: [] as number[], shutdown: [] as number[], total: [] as number[] };
    for (let i = 0; i < ROUNDS; i++) {
      const a = await timed(CLI, ['start', 'bq'], d.env);
      const b = await timed(CLI, ['run', 'bq', '--', 'true'], d.env);
      const c = await timed(CLI, ['shutdown', '--wait', 'bq'], d.env);
      cli.start.push(a);
      cli.runTrue.push(b);
      cli.shutdown.push(c);
      cli.total.push(a + b + c);
    }
    const logFrom = logSize(d);
    const viaApi = { start: [] as number[], runTrue: [] as number[], shutdown: [] as number[], total: [] as number[] };
    for (let i = 0; i < ROUNDS; i++) {
      const a = await api(d, 'POST', '/qubes/bq/start');
      const t0 = performance.now();
      const code = await apiExec('/qubes/bq/exec', { argv: ['true'] });
      if (code !== 0) throw new Error(`true exited ${code}`);
      const b = performance.now() - t0;
      const c = await api(d, 'POST', '/qubes/bq/shutdown', { wait: true });
      viaApi.start.push(a);
      viaApi.runTrue.push(b);
      viaApi.shutdown.push(c);
      viaApi.total.push(a + b + c);
    }
    await sleep(300); // pino writes asynchronously
    const inDaemon = {
      // idmap-mount mount … -- crun run --detach: the overlay, the idmapped lower and crun itself.
      mountAndCrunRun: stats(daemonProgramMs(d, logFrom, /idmap-mount mount .*run --detach/)),
      umountAndCrunDelete: stats(daemonProgramMs(d, logFrom, /idmap-mount umount/)),
    };
    result.appQube = {
      cliMs: Object.fromEntries(Object.entries(cli).map(([k, v]) => [k, stats(v)])),
      apiMs: Object.fromEntries(Object.entries(viaApi).map(([k, v]) => [k, stats(v)])),
      daemonExternalProgramsMs: inDaemon,
    };

    // 4. Disposable end to end: create from the disposable template, start, run true, destroy.
    d.ok(['create', 'bdvm', '--template', 'debian-12', '--label', 'red', '--prop', 'template_for_dispvms=true']);
    const dispCli: number[] = [];
    const dispApi: number[] = [];
    for (let i = 0; i < DISP_ROUNDS; i++) {
      dispCli.push(await timed(CLI, ['run', '--dispvm', 'bdvm', '--', 'true'], d.env));
      const t0 = performance.now();
      const code = await apiExec('/dispvms/exec', { template: 'bdvm', argv: ['true'] });
      if (code !== 0) throw new Error(`disposable true exited ${code}`);
      dispApi.push(performance.now() - t0);
    }
    const leftover = crunList(`${d.prefix}-disp`).length;
    result.disposable = { cliMs: stats(dispCli), apiMs: stats(dispApi), leftoverContainers: leftover };

    // 5. Idle memory per running qube.
    const idleNames = Array.from({ length: IDLE_QUBES }, (_, i) => `idle${i}`);
    for (const n of idleNames)
      await api(d, 'POST', '/qubes', { name: n, class: 'app', label: 'gray', template: 'debian-12', props: { memory: '64', maxmem: '64' } });
    await sleep(1000);
    const availBefore = meminfoKiB('MemAvailable');
    const slabBefore = meminfoKiB('SUnreclaim');
    for (const n of idleNames) await api(d, 'POST', `/qubes/${n}/start`);
    await sleep(2000);
    const availAfter = meminfoKiB('MemAvailable');
    const slabAfter = meminfoKiB('SUnreclaim');
    const charged = chargedBytes(`${d.prefix}-idle`);
    const initPss = crunList(`${d.prefix}-idle`).map((c) => {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${c.pid}/smaps_rollup`, 'utf8'));
      return Number(m?.[1] ?? NaN);
    });
    result.idle = {
      qubes: IDLE_QUBES,
      memAvailableDeltaPerQubeMiB: Number(((availBefore - availAfter) / 1024 / IDLE_QUBES).toFixed(2)),
      kernelSlabDeltaPerQubeMiB: Number(((slabAfter - slabBefore) / 1024 / IDLE_QUBES).toFixed(2)),
      cgroupChargedPerQubeKiB: Number((charged.bytes / 1024 / Math.max(1, charged.qubes)).toFixed(1)),
      cgroupsCounted: charged.qubes,
      initPssKiB: stats(initPss),
      note: 'MemAvailable is machine-wide and other work on the machine moves it; the cgroup charge counts what each qube is billed (shared template page cache is billed to the cgroup that first read it)',
    };
    await pool(idleNames, PARALLEL, (n) => api(d, 'POST', `/qubes/${n}/kill`));
    await pool(idleNames, PARALLEL, (n) => api(d, 'DELETE', `/qubes/${n}?force=true`));

    // 6. Many qubes at once.
    for (let i = 0; i < MASS; i++) mass.push(`m${i}`);
    const tc = performance.now();
    const createErrors = await pool(mass, PARALLEL, (n) =>
      api(d, 'POST', '/qubes', { name: n, class: 'app', label: 'gray', template: 'debian-12', props: { memory: '32', maxmem: '64' } }),
    );
    const createS = (performance.now() - tc) / 1000;
    await sleep(1000);
    const massAvailBefore = meminfoKiB('MemAvailable');
    const massSlabBefore = meminfoKiB('SUnreclaim');
    const ts = performance.now();
    const startErrors = await pool(mass, PARALLEL, (n) => api(d, 'POST', `/qubes/${n}/start`));
    const startS = (performance.now() - ts) / 1000;
    await sleep(2000);
    const running = crunList(`${d.prefix}-m`).filter((c) => c.status === 'running').length;
    const massCharged = chargedBytes(`${d.prefix}-m`);
    const massAvailAfter = meminfoKiB('MemAvailable');
    const probe = await apiExec(`/qubes/m${MASS - 1}/exec`, { argv: ['true'] }).catch(() => -1);
    const tstop = performance.now();
    const stopErrors = await pool(mass, PARALLEL, (n) => api(d, 'POST', `/qubes/${n}/shutdown`, { wait: true }));
    const stopS = (performance.now() - tstop) / 1000;
    const stillRunning = crunList(`${d.prefix}-m`).length;
    result.many = {
      requested: MASS,
      parallelRequests: PARALLEL,
      createSeconds: Number(createS.toFixed(1)),
      startSeconds: Number(startS.toFixed(1)),
      running,
      lastQubeAnswers: probe === 0,
      memAvailableDeltaMiB: Number(((massAvailBefore - massAvailAfter) / 1024).toFixed(0)),
      cgroupChargedMiB: Number((massCharged.bytes / MiB).toFixed(1)),
      cgroupsCounted: massCharged.qubes,
      kernelSlabDeltaMiB: Number(((meminfoKiB('SUnreclaim') - massSlabBefore) / 1024).toFixed(0)),
      perQubeMiB: Number(((massAvailBefore - massAvailAfter) / 1024 / Math.max(1, running)).toFixed(2)),
      stopSeconds: Number(stopS.toFixed(1)),
      runningAfterStop: stillRunning,
      errors: {
        create: createErrors.length,
        start: startErrors.length,
        stop: stopErrors.length,
        first: [...createErrors, ...startErrors, ...stopErrors].slice(0, 3),
      },
    };
  } finally {
    for (const n of mass) await d.api('POST', `/qubes/${n}/kill`).catch(() => undefined);
    await d.destroy();
  }

  const app = result.appQube as {
    cliMs: Record<string, { p50: number; p95: number }>;
    apiMs: Record<string, { p50: number; p95: number }>;
    daemonExternalProgramsMs: Record<string, { p50: number }>;
  };
  const disp = result.disposable as { cliMs: { p50: number; p95: number }; apiMs: { p50: number; p95: number } };
  const idle = result.idle as { cgroupChargedPerQubeKiB: number; memAvailableDeltaPerQubeMiB: number };
  const many = result.many as { running: number; memAvailableDeltaMiB: number; perQubeMiB: number; startSeconds: number; stopSeconds: number };
  const bareS = result.bareCrunRunTrueMs as { p50: number; p95: number };
  const over = result.overheadMs as Record<string, { p50: number }>;
  const summary = [
    { metric: 'bare crun run of /bin/true (template rootfs read-only), p50 / p95', value: `${bareS.p50} / ${bareS.p95}`, unit: 'ms' },
    {
      metric: 'app qube start, API call alone, p50 / p95',
      value: `${app.apiMs.start!.p50} / ${app.apiMs.start!.p95}`,
      unit: 'ms',
      target: '≤ 30 ms p50',
      meets: app.apiMs.start!.p50 <= 30,
    },
    { metric: 'app qube start via CLI (`bulkhead start`), p50 / p95', value: `${app.cliMs.start!.p50} / ${app.cliMs.start!.p95}`, unit: 'ms' },
    { metric: 'app qube start + run true + shutdown, API, p50 / p95', value: `${app.apiMs.total!.p50} / ${app.apiMs.total!.p95}`, unit: 'ms' },
    { metric: 'app qube start + run true + shutdown, CLI, p50 / p95', value: `${app.cliMs.total!.p50} / ${app.cliMs.total!.p95}`, unit: 'ms' },
    { metric: 'in the daemon: idmap-mount + overlay + crun run --detach, p50', value: app.daemonExternalProgramsMs.mountAndCrunRun!.p50, unit: 'ms' },
    {
      metric: 'CLI overhead: node start / CLI with one API call / API call alone, p50',
      value: `${over.nodeStart!.p50} / ${over.cliOneApiCall!.p50} / ${over.apiCallOnly!.p50}`,
      unit: 'ms',
    },
    {
      metric: 'disposable end to end (run --dispvm -- true), API, p50 / p95',
      value: `${disp.apiMs.p50} / ${disp.apiMs.p95}`,
      unit: 'ms',
      target: '≤ 100 ms p50',
      meets: disp.apiMs.p50 <= 100,
    },
    {
      metric: 'disposable end to end via CLI, p50 / p95',
      value: `${disp.cliMs.p50} / ${disp.cliMs.p95}`,
      unit: 'ms',
      target: '≤ 100 ms p50',
      meets: disp.cliMs.p50 <= 100,
    },
    {
      metric: `idle qube (${IDLE_QUBES} running): MemAvailable drop per qube`,
      value: idle.memAvailableDeltaPerQubeMiB,
      unit: 'MiB',
      target: '≤ 8 MiB',
      meets: idle.memAvailableDeltaPerQubeMiB <= 8,
    },
    {
      metric: 'idle qube: memory cgroup charge per qube',
      value: idle.cgroupChargedPerQubeKiB,
      unit: 'KiB',
      target: '≤ 8 MiB',
      meets: idle.cgroupChargedPerQubeKiB <= 8192,
    },
    {
      metric: `qubes running at once (of ${MASS}); MemAvailable drop; start / stop all`,
      value: `${many.running}; ${many.memAvailableDeltaMiB} MiB (${many.perQubeMiB} MiB each); ${many.startSeconds} s / ${many.stopSeconds} s`,
      unit: '',
      target: '500',
      meets: many.running >= 500,
    },
  ];
  const out = {
    benchmark: 'core through the daemon and CLI, beside a bare crun run',
    rounds: ROUNDS,
    dispRounds: DISP_ROUNDS,
    cgroupLayout: layout,
    cpus: cpus().length,
    loadavgBefore: loadBefore,
    loadavgAfter: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    summary,
    ...result,
    node: process.version,
    date: new Date().toISOString(),
  };
  mkdirSync(new URL('./results', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/core.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench core: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
