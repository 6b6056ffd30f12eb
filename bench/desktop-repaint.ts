// Benchmark: a full 1280x800 repaint of a qube window shown on the admin display by the window service (Xvfb),
// time per repaint and frames per second of an animating window; writes bench/results/desktop-repaint.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { LABEL_COLOURS, WindowService, openDisplay } from '../src/desktop/index.js';
import { FakeDisplays } from '../test/integration/helpers/display-source.js';
import { startAdminDisplay } from '../test/integration/helpers/xvfb.js';

const W = 1280;
const H = 800;
const FRAMES = Number(process.env.BENCH_FRAMES ?? 120);

/** One animation frame: a diagonal gradient moved by `t`, BGRX. */
function frame(t: number): Uint8Array {
  const out = new Uint8Array(W * H * 4);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 4;
      out[i] = (x + t * 8) & 0xff;
      out[i + 1] = (y + t * 4) & 0xff;
      out[i + 2] = (x + y + t * 16) & 0xff;
    }
  }
  return out;
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const round = (x: number): number => Math.round(x * 100) / 100;

const screen = await startAdminDisplay(1600, 1000);
const xc = await openDisplay(screen.display);
const source = new FakeDisplays();
source.add('work', LABEL_COLOURS.green, false);
let painted = 0;
let onPaint: (() => void) | null = null;
const service = new WindowService({
  xc,
  source,
  painted: () => {
    painted++;
    onPaint?.();
  },
});
try {
  service.start();
  while (!source.attached('work')) await new Promise((r) => setTimeout(r, 10));
  source.send(
    'work',
    { kind: 'hello', window: 0, version: 1, screenWidth: W, screenHeight: H },
    { kind: 'create', window: 1, x: 10, y: 10, width: W, height: H, popup: false, fullscreen: false, transientFor: 0 },
    { kind: 'title', window: 1, title: 'repaint' },
    { kind: 'map', window: 1 },
  );
  const frames = Array.from({ length: 8 }, (_, t) => frame(t));
  const show = async (t: number): Promise<void> => {
    const done = new Promise<void>((r) => (onPaint = r));
    source.send('work', { kind: 'pixels', window: 1, x: 0, y: 0, width: W, height: H, data: frames[t % frames.length]! });
    await done;
    // Shown: the X server has processed the upload and the copy onto the window.
    await xc.X.sync();
  };
  for (let t = 0; t < 5; t++) await show(t);
  // One repaint at a time: from the qube's message sent to the pixels on the admin display.
  const latencies: number[] = [];
  for (let t = 0; t < FRAMES; t++) {
    const t0 = performance.now();
    await show(t);
    latencies.push(performance.now() - t0);
  }
  // An animating window: the qube keeps two frames in flight (it sends the next while the last is drawn), counted when all are shown.
  const start = painted;
  const t0 = performance.now();
  for (let t = 0; t < FRAMES; t++) {
    while (t - (painted - start) >= 2) await new Promise<void>((r) => (onPaint = r));
    source.send('work', { kind: 'pixels', window: 1, x: 0, y: 0, width: W, height: H, data: frames[t % frames.length]! });
  }
  while (painted - start < FRAMES) await new Promise<void>((r) => (onPaint = r));
  await xc.X.sync();
  const streamSeconds = (performance.now() - t0) / 1000;
  const p50 = pct(latencies, 50);
  const result = {
    benchmark: 'desktop repaint 1280x800 on the admin display',
    frames: FRAMES,
    bytes_per_frame: W * H * 4,
    repaint_ms_p50: round(p50),
    repaint_ms_p95: round(pct(latencies, 95)),
    fps_one_at_a_time: round(1000 / p50),
    fps_animating: round(FRAMES / streamSeconds),
    summary: [
      { metric: 'full 1280x800 repaint shown (sent to on screen), p50 / p95', value: `${round(p50)} / ${round(pct(latencies, 95))}`, unit: 'ms' },
      { metric: 'animating 1280x800 window, frames shown per second', value: round(FRAMES / streamSeconds), unit: 'fps' },
    ],
    /** The machine's 1-minute load when measured: the numbers are only comparable on an idle machine. */
    load_average: round(loadavg()[0]!),
    node: process.version,
    date: new Date().toISOString(),
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/desktop-repaint.json', JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
} finally {
  await service.stop();
  await new Promise<void>((r) => xc.X.close(() => r()));
  source.close();
  await screen.stop();
}
