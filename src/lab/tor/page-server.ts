// A tiny HTTP server inside a network namespace (a child node process) serving one known page.
import { BulkheadError } from '../../errors/index.js';
import { isRunning, spawnInNetns, stopProcesses, type LabProcess } from './process.js';

// Runs in the child: serve BODY on ADDRESS:PORT, say "ready", exit when the parent's pipe closes.
const SCRIPT = `
const http = require('node:http');
const [address, port, body] = process.argv.slice(1);
const srv = http.createServer((req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.setHeader('x-client-address', req.socket.remoteAddress || '');
  res.end(body + '\\n');
});
srv.listen(Number(port), address, () => process.stdout.write('ready\\n'));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

export interface PageServer {
  pid: number;
  process: LabProcess;
  stop(): Promise<void>;
}

export async function startPageServer(opts: { netns: string; address: string; port: number; body: string; timeoutMs?: number }): Promise<PageServer> {
  const p = spawnInNetns(opts.netns, process.execPath, ['-e', SCRIPT, opts.address, String(opts.port), opts.body]);
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), opts.timeoutMs ?? 10_000);
    p.child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    void p.exited.then(() => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (!ready || !isRunning(p)) {
    await stopProcesses([p], 1000);
    throw new BulkheadError('ERR_NETWORK', `page server on ${opts.address}:${opts.port} in ${opts.netns} did not start: ${p.tail().trim()}`);
  }
  return {
    pid: p.pid,
    process: p,
    stop: async () => {
      await stopProcesses([p], 2000);
    },
  };
}
