// Runs bh-filecopy pack and unpack joined by two pipes, or unpack fed a crafted stream (file-copy tests and bench).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { run } from '../../src/exec/index.js';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const BIN = join(ROOT, 'native/build/bh-filecopy');

export async function buildNative(): Promise<void> {
  await run('make', ['-C', join(ROOT, 'native'), 'build/bh-filecopy', 'build/bh-frame-echo'], { timeoutMs: 120_000 });
}

/** A fresh directory named with the run prefix, under `base` (default the system temp dir). */
export function tempRoot(tag: string, base = tmpdir()): string {
  const run = process.env.BULKHEAD_TEST_RUN ?? 'bht' + randomBytes(3).toString('hex');
  return mkdtempSync(join(base, `${run}-${tag}-`));
}

export interface Ended {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

function collect(child: ReturnType<typeof spawn>): Promise<Ended> {
  const out: Buffer[] = [];
  let err = '';
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
  });
}

/** pack FILES | unpack --from SOURCE, with the answer flowing back; both through named pipes. */
export async function packUnpack(files: string[], home: string, unpackArgs: string[], dir: string): Promise<{ pack: Ended; unpack: Ended }> {
  const toRecv = join(dir, `fifo-${randomBytes(4).toString('hex')}-a`);
  const toSend = join(dir, `fifo-${randomBytes(4).toString('hex')}-b`);
  await run('mkfifo', [toRecv, toSend], { timeoutMs: 5000 });
  // Each side opens its answer pipe first, so the two opens pair up instead of deadlocking.
  const unpack = spawn('sh', ['-c', 'exec "$0" unpack "$@" > "$ANSWER" < "$STREAM"', BIN, ...unpackArgs], {
    env: { PATH: process.env.PATH, HOME: home, ANSWER: toSend, STREAM: toRecv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pack = spawn('sh', ['-c', 'exec "$0" pack "$@" < "$ANSWER" > "$STREAM"', BIN, ...files], {
    env: { PATH: process.env.PATH, ANSWER: toSend, STREAM: toRecv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [p, u] = await Promise.all([collect(pack), collect(unpack)]);
  await run('rm', ['-f', toRecv, toSend], { timeoutMs: 5000 });
  return { pack: p, unpack: u };
}

/** unpack fed `stream` on stdin; `hold` keeps stdin open after writing until the promise it returns resolves. */
export function unpackStream(stream: Uint8Array, home: string, args: string[], hold?: () => Promise<void>, env: Record<string, string> = {}): Promise<Ended> {
  const child = spawn(BIN, ['unpack', ...args], { env: { PATH: process.env.PATH, HOME: home, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const done = collect(child);
  child.stdin!.on('error', () => undefined); // the receiver may stop reading early
  child.stdin!.write(stream, () => {
    if (hold) void hold().then(() => child.stdin!.end());
    else child.stdin!.end();
  });
  return done;
}

/** Every path under `dir` with its type, sorted, optionally skipping one subtree. */
export function listing(dir: string, skip?: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (p === skip) continue;
      const st = lstatSync(p);
      out.push(`${st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : 'f'} ${p.slice(dir.length)}${st.isSymbolicLink() ? ' -> ' + readlinkSync(p) : ''}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}
