// Benchmark of the ns runtime: app qube start + exec `true` + stop (p50/p95) beside a bare `crun run`, and idle memory per running qube.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { run } from '../src/exec/index.js';
import { createNsRuntime, detectCgroupLayout } from '../src/runtime/ns/index.js';
import type { QubeRuntimeSpec } from '../src/runtime/types.js';
import { ensureTestRootfs, execIn, runPrefix, testSpec, testUidBase, writeBareBundle } from '../test/integration/runtime-fixture.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const IDLE_QUBES = Number(process.env.BENCH_IDLE_QUBES ?? 50);
const nativeDir = fileURLToPath(new URL('../native/build', import.meta.url));
const layout = detectCgroupLayout();

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((x, y) => x - y);
  return Number((s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN).toFixed(2));
}
const summary = (xs: number[]) => ({ p50: pct(xs, 50), p95: pct(xs, 95), n: xs.length });

function meminfo(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of readFileSync('/proc/meminfo', 'utf8').matchAll(/^(\w+):\s+(\d+)/gm)) out[m[1] as string] = Number(m[2]);
  return out;
}
/** Kernel memory that namespaces, mounts and cgroups consume: unreclaimable slab, per-cpu, stacks, page tables. */
function kernelKiB(): number {
  const m = meminfo();
  return (m.SUnreclaim ?? 0) + (m.Percpu ?? 0) + (m.KernelStack ?? 0) + (m.PageTables ?? 0);
}
/** KiB in use that is not reclaimable cache: MemTotal - MemFree - Buffers - Cached - SReclaimable. */
function usedKiB(): number {
  const m = meminfo();
  return (m.MemTotal ?? 0) - (m.MemFree ?? 0) - (m.Buffers ?? 0) - (m.Cached ?? 0) - (m.SReclaimable ?? 0);
}

function cgroupMemoryBytes(id: string): number {
  const f = layout === 'v2' ? `/sys/fs/cgroup/bulkhead/${id}/memory.current` : `/sys/fs/cgroup/memory/bulkhead/${id}/memory.usage_in_bytes`;
  return Number(readFileSync(f, 'utf8').trim());
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? NaN);
}

/** Proportional set size: shared pages (the static init's text) divided among their users. */
function pssKiB(pid: number): number {
  const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return Number(m?.[1] ?? NaN);
}

function loadavg(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

async function main() {
  const loadBefore = loadavg();
  const lower = await ensureTestRootfs();
  const prefix = runPrefix('bench');
  const base = `/var/tmp/bulkhead-bench-runtime/${prefix}`;
  mkdirSync(base, { recursive: true, mode: 0o700 });
  mkdirSync('/run/bulkhead-test', { recursive: true, mode: 0o711 });
  const rt = createNsRuntime();
  const seed = Math.floor(Math.random() * 2048);
  const live = new Set<QubeRuntimeSpec>();
  try {
    // 1. bare crun run of a trivial bundle
    const bundle = `${base}/bare`;
    writeBareBundle(bundle, lower);
    const crun = layout === 'hybrid' ? [`${nativeDir}/crun-v1`, '/usr/bin/crun'] : ['/usr/bin/crun'];
    const bare: number[] = [];
    for (let i = 0; i < ROUNDS + 3; i++) {
      const t = performance.now();
      await run(crun[0] as string, [...crun.slice(1), 'run', `--bundle=${bundle}`, `${prefix}-bare`]);
      if (i >= 3) bare.push(performance.now() - t);
    }

    // 2. app qube: start + exec true + stop
    const spec = testSpec({ prefix, name: 'app', base, lowerDir: lower, uidBase: testUidBase(0, seed) });
    const total: number[] = [];
    const startMs: number[] = [];
    const execMs: number[] = [];
    const stopMs: number[] = [];
    for (let i = 0; i < ROUNDS + 3; i++) {
      live.add(spec);
      const t0 = performance.now();
      await rt.start(spec);
      const t1 = performance.now();
      const r = await execIn(rt, spec.id, ['true']);
      if (r.code !== 0) throw new Error(`exec true failed: ${r.err}`);
      const t2 = performance.now();
      await rt.stop(spec, 2000);
      live.delete(spec);
      const t3 = performance.now();
      if (i < 3) continue;
      total.push(t3 - t0);
      startMs.push(t1 - t0);
      execMs.push(t2 - t1);
      stopMs.push(t3 - t2);
    }

    // 3. idle memory with N qubes running
    await new Promise((r) => setTimeout(r, 500));
    const before = usedKiB();
    const availBefore = meminfo().MemAvailable ?? 0;
    const kernelBefore = kernelKiB();
    const idle: QubeRuntimeSpec[] = [];
    const tIdle = performance.now();
    for (let i = 0; i < IDLE_QUBES; i++) {
      const s = testSpec({ prefix, name: `idle${i}`, base, lowerDir: lower, uidBase: testUidBase(0, (seed + 1 + i) % 2048) });
      live.add(s);
      idle.push(s);
      await rt.start(s);
    }
    const startAllMs = performance.now() - tIdle;
    await new Promise((r) => setTimeout(r, 1000));
    const after = usedKiB();
    const availAfter = meminfo().MemAvailable ?? 0;
    const kernelAfter = kernelKiB();
    const cg = idle.map((s) => cgroupMemoryBytes(s.id));
    const pids = await Promise.all(idle.map(async (s) => (await rt.state(s.id))?.pid ?? 0));
    const initRss = pids.map(rssKiB);
    const initPss = pids.map(pssKiB);
    for (const s of idle) {
      await rt.stop(s, 2000);
      live.delete(s);
    }
    const result = {
      date: new Date().toISOString(),
      host: {
        kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
        cgroups: layout,
        cpus: readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)?.length ?? 0,
        // The machine is shared: a load average above the CPU count inflates every time measured.
        loadavgBefore: loadBefore,
        loadavgAfter: loadavg(),
      },
      rounds: ROUNDS,
      bareCrunRunTrueMs: summary(bare),
      appQubeStartExecStopMs: summary(total),
      appQubeStartMs: summary(startMs),
      appQubeExecTrueMs: summary(execMs),
      appQubeStopMs: summary(stopMs),
      idle: {
        qubes: IDLE_QUBES,
        startAllMs: Number(startAllMs.toFixed(1)),
        // Host-wide deltas include everything else running on the machine at the time.
        hostUsedDeltaPerQubeMiB: Number(((after - before) / 1024 / IDLE_QUBES).toFixed(2)),
        kernelDeltaPerQubeMiB: Number(((kernelAfter - kernelBefore) / 1024 / IDLE_QUBES).toFixed(2)),
        memAvailableDeltaPerQubeMiB: Number(((availBefore - availAfter) / 1024 / IDLE_QUBES).toFixed(2)),
        cgroupMemoryPerQubeMiB: summary(cg.map((b) => b / 1048576)),
        initRssKiB: summary(initRss),
        initPssKiB: summary(initPss),
      },
      targets: { appQubeStartP50Ms: 30, idleMiBPerQube: 8 },
    };
    mkdirSync(fileURLToPath(new URL('./results', import.meta.url)), { recursive: true });
    writeFileSync(fileURLToPath(new URL('./results/runtime.json', import.meta.url)), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    for (const s of live) await rt.kill(s).catch(() => {});
    const crun = layout === 'hybrid' ? [`${nativeDir}/crun-v1`, '/usr/bin/crun'] : ['/usr/bin/crun'];
    await run(crun[0] as string, [...crun.slice(1), 'delete', '--force', `${prefix}-bare`], { allowFail: true });
    rmSync(base, { recursive: true, force: true });
    for (const d of readdirSync('/run/bulkhead-test')) if (d.startsWith(prefix)) rmSync(`/run/bulkhead-test/${d}`, { recursive: true, force: true });
  }
}

await main();
