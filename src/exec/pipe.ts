// Streaming form of run(): a program whose stdin/stdout the caller pipes (zstd, tar), with its exit checked and logged.
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { BulkheadError } from '../errors/index.js';
import { execLog } from './run.js';

export interface PipeProcess {
  stdin: Writable;
  stdout: Readable;
  /** Resolves when the program exited 0; rejects with its last stderr lines otherwise. */
  done: Promise<void>;
  /** SIGKILL (the caller gives up: `done` then rejects, and callers ignore it). */
  kill(): void;
  pid: number | undefined;
}

export interface PipeOptions {
  /** Send the program's stdout nowhere (it writes a file itself). */
  discardStdout?: boolean;
  /**
   * The program writes into this: another program's stdin (no copy through Node; the caller then
   * destroys its own end so that the reader sees the end of the data). `stdout` is then unusable.
   * (Never the other way round: a child's stdout stream in this process starts reading at once.)
   */
  stdoutTo?: Writable;
  env?: NodeJS.ProcessEnv;
}

/** Start `cmd args` with piped stdin and stdout; no timeout (the data decides how long it runs). */
export function spawnPipe(cmd: string, args: readonly string[], opts: PipeOptions = {}): PipeProcess {
  const started = Date.now();
  const child = spawn(cmd, args as string[], {
    env: opts.env ?? process.env,
    stdio: ['pipe', opts.stdoutTo ?? (opts.discardStdout ? 'ignore' : 'pipe'), 'pipe'],
  });
  const err: Buffer[] = [];
  let errBytes = 0;
  child.stderr!.on('data', (d: Buffer) => {
    // Only the tail matters for the message; a chatty program must not grow memory.
    err.push(d);
    errBytes += d.length;
    while (errBytes > 65536 && err.length > 1) errBytes -= err.shift()!.length;
  });
  // A reader that stopped early makes the program's writes fail with EPIPE; its exit tells.
  child.stdin?.on('error', () => undefined);
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (e) => reject(new BulkheadError('ERR_EXEC', `cannot run ${cmd}: ${e.message}`, { cause: e })));
    child.on('close', (code, signal) => {
      execLog(`${cmd} ${args.join(' ')} -> ${code ?? signal} (${Date.now() - started} ms, streamed)`);
      if (code === 0) return resolve();
      const detail = Buffer.concat(err).toString('utf8').trim().split('\n').slice(-3).join(' | ');
      reject(
        new BulkheadError(
          'ERR_EXEC',
          `${cmd} ${args.slice(0, 4).join(' ')} failed (${code === null ? `signal ${signal}` : `exit ${code}`})${detail ? `: ${detail}` : ''}`,
        ),
      );
    });
  });
  done.catch(() => undefined);
  const stdout = child.stdout ?? (null as unknown as Readable);
  return {
    pid: child.pid,
    stdin: child.stdin!,
    stdout,
    done,
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
