// Benchmark: a qube's display — first xterm window in a running qube (p50 over ≥ 10, target ≤ 1.0 s), idle memory and CPU of the display (target ≤ 60 MiB, ≈ 0), frames per second of a full 1280×800 animating window through the hub; writes bench/results/desktop.json.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT, testDaemon } from '../test/integration/helpers/daemon.js';
import { adminRequest, openDisplay } from '../test/integration/helpers/display-client.js';
import { TEST_DESKTOP_TARBALL } from '../test/support/cache.js';
import { detectCgroupLayout } from '../src/runtime/ns/cgroups.js';
import { cgroupUsage } from '../src/runtime/ns/usage.js';

/** Memory charged to the qube's cgroup (v1 memory.usage_in_bytes or v2 memory.current), bytes; the id is PREFIX-NAME. */
async function cgroupMemory(home: string, qube: string): Promise<number> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(join(home, 'state.db'), { readonly: true });
  const prefix = JSON.parse((db.prepare("SELECT value FROM globals WHERE key = 'prefix'").get() as { value: string }).value) as string;
  db.close();
  return cgroupUsage(detectCgroupLayout(), `${prefix}-${qube}`).memoryBytes ?? NaN;
}

const RUNS = Number(process.env.DESKTOP_BENCH_RUNS ?? 12);
const ANIMATE_S = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (s: number[], p: number) => s[Math.min(s.length - 1, Math.floor(s.length * p))]!;

/** Repaints a 1280×800 window in a new colour as fast as the server takes it, for ANIMATE_S seconds. */
const ANIMATOR = `
import time
from Xlib import X, display
d = display.Display(':0')
s = d.screen()
w = s.root.create_window(0, 0, 1280, 800, 0, s.root_depth, X.InputOutput, X.CopyFromParent, background_pixel=0)
w.set_wm_name('animate')
w.map()
gc = w.create_gc()
d.sync()
time.sleep(0.5)
end = time.time() + ${ANIMATE_S}
n = 0
while time.time() < end:
    gc.change(foreground=(n * 0x010305) & 0xffffff)
    w.fill_rectangle(gc, 0, 0, 1280, 800)
    d.sync()
    n += 1
    time.sleep(0.004)
print(n)
`;

/** Memory (KiB) and CPU ticks of the display's processes inside the qube: Xvfb and the agent. */
const PROBE = `for p in $(pgrep -x Xvfb) $(pgrep -f "python3 [/]run/bulkhead/bin/bulkhead-display-agent"); do
  printf '%s %s %s\\n' "$p" "$(awk '/^(Rss|Pss):/{printf "%s ", $2}' /proc/$p/smaps_rollup)" "$(awk '{print $14+$15}' /proc/$p/stat)"
done`;

async function main(): Promise<void> {
  const d = testDaemon('deskbench');
  const out: Record<string, unknown> = { date: new Date().toISOString(), cpus: cpus().length, cpu: cpus()[0]?.model, loadavg_start: loadavg() };
  try {
    d.start();
    d.ok(['template', 'import', 'debian-12', TEST_DESKTOP_TARBALL], undefined, 300_000);
    d.ok(['create', 'a', '--template', 'debian-12', '--label', 'blue']);
    d.ok(['start', 'a']);
    await sleep(2000);
    const memBefore = await cgroupMemory(d.home, 'a');
    let t0 = performance.now();
    await adminRequest(d.home, 'POST', '/qubes/a/display');
    out.display_start_ms = +(performance.now() - t0).toFixed(0);
    await sleep(3000);
    const memAfter = await cgroupMemory(d.home, 'a');
    const probe1 = d.ok(['run', 'a', '--', 'sh', '-c', PROBE]);
    await sleep(10_000);
    const probe2 = d.ok(['run', 'a', '--', 'sh', '-c', PROBE]);
    const parse = (t: string) =>
      t
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/).map(Number));
    const p1 = parse(probe1);
    const p2 = parse(probe2);
    out.display_idle = {
      what: 'Xvfb (1920x1080x24) and the display agent in a qube, no window: RSS/PSS summed; CPU over 10 s idle; the qube cgroup memory added by starting the display',
      rss_mib: +(p2.reduce((a, r) => a + r[1]!, 0) / 1024).toFixed(1),
      pss_mib: +(p2.reduce((a, r) => a + r[2]!, 0) / 1024).toFixed(1),
      cgroup_added_mib: +((memAfter - memBefore) / 1048576).toFixed(1),
      cpu_ticks_in_10s: p2.reduce((a, r) => a + r[3]!, 0) - p1.reduce((a, r) => a + r[3]!, 0),
      target: 'memory <= 60 MiB, CPU ~ 0',
    };

    const c = await openDisplay(d.home, 'a');
    // The qube side only: the command is given the qube's display itself (no admin display, no window service here).
    const env = { ...d.env, DISPLAY: '' };
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const title = `w${i}`;
      const from = c.messages.length;
      t0 = performance.now();
      const p = spawn(CLI, ['run', 'a', '--', 'env', 'DISPLAY=:0', 'xterm', '-T', title], { env, stdio: 'ignore' });
      const t = await c.waitFor(title, (m) => m.kind === 'title' && m.title === title, 20_000, from);
      await c.waitFor('map', (m) => m.kind === 'map' && m.window === t.window, 20_000, from);
      await c.waitFor('pixels', (m) => m.kind === 'pixels' && m.window === t.window, 20_000, from);
      times.push(performance.now() - t0);
      c.send({ kind: 'close', window: t.window });
      await new Promise((r) => (p.exitCode !== null ? r(null) : p.on('exit', r)));
    }
    const s = [...times].sort((a, b) => a - b);
    out.first_window = {
      what: `bulkhead run a -- env DISPLAY=:0 xterm (CLI start) to the window's first pixels at a display client, ${RUNS} runs, display already up`,
      n: s.length,
      p50_ms: +pct(s, 0.5).toFixed(0),
      p90_ms: +pct(s, 0.9).toFixed(0),
      min_ms: +s[0]!.toFixed(0),
      target: 'p50 <= 1000 ms',
    };

    d.ok(['run', 'a', '--', 'sh', '-c', 'cat > /tmp/animate.py'], ANIMATOR);
    const anim = spawn(CLI, ['run', 'a', '--', 'python3', '/tmp/animate.py'], { env: d.env, stdio: ['ignore', 'pipe', 'inherit'] });
    let drawn = '';
    anim.stdout.on('data', (b: Buffer) => (drawn += b.toString()));
    const t = await c.waitFor('animate', (m) => m.kind === 'title' && m.title === 'animate');
    await sleep(600);
    const startBytes = c.pixelBytes;
    const full = (m: (typeof c.messages)[number]) => m.kind === 'pixels' && m.window === t.window && m.y + m.height === 800;
    const startFrames = c.messages.filter(full).length;
    t0 = performance.now();
    await sleep((ANIMATE_S - 1) * 1000);
    const secs = (performance.now() - t0) / 1000;
    // A frame is whole once its last strip (the one that reaches the bottom row) is in.
    const frames = c.messages.filter(full).length - startFrames;
    const bytes = c.pixelBytes - startBytes;
    await new Promise((r) => anim.on('exit', r));
    out.animate = {
      what: 'a 1280x800 window repainted whole in a loop inside the qube; full frames (4,096,000 bytes BGRX each) received by a display client per second',
      fps: +(frames / secs).toFixed(1),
      mb_per_s: +(bytes / secs / 1e6).toFixed(1),
      frames_drawn_in_qube: Number(drawn.trim()),
      seconds: ANIMATE_S,
    };
    c.close();
  } finally {
    out.loadavg_end = loadavg();
    await d.destroy();
  }
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'desktop.json'), `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

await main();
