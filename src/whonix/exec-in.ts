// Run a command inside a running qube and collect its output, with a deadline.
import type { DaemonContext } from '../daemon/context.js';

export interface ExecResult { code: number; stdout: string; stderr: string; ms: number }

export function execIn(ctx: DaemonContext, name: string, argv: string[], opts: { user?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
  const t0 = Date.now();
  const child = ctx.runtime.exec(`${ctx.prefix}-${name}`, argv, { user: opts.user ?? 'user' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdin.end();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      stderr += `\n(timed out after ${opts.timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.on('error', (e) => { stderr += e.message; });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}
