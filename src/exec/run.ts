// The one place that runs external programs: argument arrays (never a shell), a timeout, a log line.
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { BulkheadError } from '../errors/index.js';

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Do not throw on a non-zero exit; the caller inspects `code`. */
  allowFail?: boolean;
  /** Extra spawn options (e.g. detached). */
  spawn?: SpawnOptions;
}

export interface RunResult {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

type Logger = (msg: string) => void;
let log: Logger = () => {};
/** The daemon sets a logger; libraries never print. */
export function setExecLogger(l: Logger): void {
  log = l;
}
/** The log line of a program that ended (for the streaming form in pipe.ts). */
export function execLog(msg: string): void {
  log(msg);
}

export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(cmd, args as string[], {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...opts.spawn,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new BulkheadError('ERR_EXEC', `cannot run ${cmd}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const res: RunResult = {
        code: code ?? -1,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      };
      log(`${cmd} ${args.join(' ')} -> ${res.code} (${Date.now() - started} ms)`);
      if (timedOut) {
        reject(new BulkheadError('ERR_TIMEOUT', `${cmd} ${args.slice(0, 3).join(' ')} timed out after ${timeoutMs} ms`));
        return;
      }
      if (res.code !== 0 && !opts.allowFail) {
        const detail = res.stderr.trim().split('\n').slice(-3).join(' | ');
        reject(new BulkheadError('ERR_EXEC', `${cmd} ${args.slice(0, 4).join(' ')} failed (exit ${res.code}): ${detail}`));
        return;
      }
      resolve(res);
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

export interface RunSyncResult {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * The synchronous form, for the few callers that must answer before returning (a user lookup
 * inside `exec`). Never throws on a non-zero exit; output is capped at `maxBuffer` bytes.
 */
export function runSync(cmd: string, args: readonly string[], opts: { timeoutMs?: number; maxBuffer?: number } = {}): RunSyncResult {
  const started = Date.now();
  const r = spawnSync(cmd, args as string[], { timeout: opts.timeoutMs ?? 10_000, maxBuffer: opts.maxBuffer ?? 1 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error && (r.error as NodeJS.ErrnoException).code !== 'ENOBUFS') {
    throw new BulkheadError('ERR_EXEC', `cannot run ${cmd}: ${r.error.message}`, { cause: r.error });
  }
  const res: RunSyncResult = { code: r.status ?? -1, signal: r.signal, stdout: r.stdout ?? Buffer.alloc(0), stderr: r.stderr?.toString('utf8') ?? '' };
  log(`${cmd} ${args.join(' ')} -> ${res.code} (${Date.now() - started} ms)`);
  return res;
}
