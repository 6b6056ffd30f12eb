// Test harness: an Xvfb as the admin display on a free display number, killed by its pid; screenshots and pixels of it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface AdminDisplay {
  display: string;
  pid: number;
  env: NodeJS.ProcessEnv;
  /** Runs an X client (xwininfo, xdotool, import) against this display; throws on failure. */
  x(cmd: string, args: string[]): string;
  /** The root window as a PNG at `file` and its RGB pixels. */
  screenshot(file: string): { width: number; height: number; rgb: Buffer };
  stop(): Promise<void>;
}

function freeDisplay(): number {
  for (let i = 0; i < 200; i++) {
    const n = 400 + Math.floor(Math.random() * 500);
    if (!existsSync(`/tmp/.X11-unix/X${n}`) && !existsSync(`/tmp/.X${n}-lock`)) return n;
  }
  throw new Error('no free X display number');
}

export async function startAdminDisplay(width = 1280, height = 1024): Promise<AdminDisplay> {
  // Two test files may pick the same free number at once: Xvfb's lock file decides, the loser tries another.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(freeDisplay(), width, height);
    } catch (e) {
      if (attempt >= 5) throw e;
    }
  }
}

async function startOn(n: number, width: number, height: number): Promise<AdminDisplay> {
  const display = `:${n}`;
  const child = spawn('Xvfb', [display, '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp', '-noreset'], { stdio: 'ignore' });
  const pid = child.pid!;
  const env = { ...process.env, DISPLAY: display };
  const deadline = Date.now() + 10000;
  while (!existsSync(`/tmp/.X11-unix/X${n}`)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      if (child.exitCode === null) process.kill(pid, 'SIGKILL');
      throw new Error(`Xvfb ${display} did not start`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const x = (cmd: string, args: string[]): string => {
    for (let attempt = 1; ; attempt++) {
      const r = spawnSync(cmd, args, { env, timeout: 20000, maxBuffer: 64 << 20 });
      if (r.status === 0) return r.stdout.toString();
      // A window destroyed while a client walks the tree gives BadWindow or BadDrawable: the walk is retried, any other failure is not.
      if (attempt < 5 && /Bad ?(Window|Drawable)/.test(r.stderr?.toString() ?? '')) continue;
      throw new Error(`${cmd} ${args.join(' ')}: ${r.status} ${r.stderr?.toString()}`);
    }
  };
  return {
    display,
    pid,
    env,
    x,
    screenshot(file) {
      x('import', ['-window', 'root', file]);
      const r = spawnSync('convert', [file, '-depth', '8', 'rgb:-'], { maxBuffer: 64 << 20 });
      if (r.status !== 0) throw new Error(`convert: ${r.stderr?.toString()}`);
      return { width, height, rgb: r.stdout };
    },
    async stop() {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      process.kill(pid, 'SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) process.kill(pid, 'SIGKILL');
    },
  };
}

/** The pixel at (x, y) of an RGB screenshot as 0xRRGGBB. */
export function pixelAt(shot: { width: number; rgb: Buffer }, x: number, y: number): number {
  const i = (y * shot.width + x) * 3;
  return (shot.rgb[i]! << 16) | (shot.rgb[i + 1]! << 8) | shot.rgb[i + 2]!;
}

/** Top-level windows of `xwininfo -root -tree` with their title, id and geometry. */
export function windowsOf(tree: string): { id: number; title: string; width: number; height: number; x: number; y: number }[] {
  const out = [];
  for (const line of tree.split('\n')) {
    const m = /^\s+(0x[0-9a-f]+) "(.*)": \(.*\)\s+(\d+)x(\d+)\+(-?\d+)\+(-?\d+)/.exec(line);
    if (m) out.push({ id: Number(m[1]), title: m[2]!, width: Number(m[3]), height: Number(m[4]), x: Number(m[5]), y: Number(m[6]) });
  }
  return out;
}
