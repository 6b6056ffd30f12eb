// Run a command inside a running qube and collect its output, with a deadline.
import type { DaemonContext } from '../../daemon/context.js';
import { runtimeId } from '../../daemon/lifecycle/spec.js';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Output kept from a command in a qube (the qube chooses how much it prints); the rest is dropped. */
export const MAX_EXEC_OUTPUT = 1024 * 1024;
const keep = (acc: string, d: Buffer) => (acc.length >= MAX_EXEC_OUTPUT ? acc : (acc + d.toString()).slice(0, MAX_EXEC_OUTPUT));

export function execIn(ctx: DaemonContext, name: string, argv: string[], opts: { user?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
  const t0 = Date.now();
  const child = ctx.runtime.exec(runtimeId(ctx, name), argv, { user: opts.user ?? 'user' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout = keep(stdout, d);
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr = keep(stderr, d);
  });
  child.stdin.end();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      stderr += `\n(timed out after ${opts.timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      stderr += e.message;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}
