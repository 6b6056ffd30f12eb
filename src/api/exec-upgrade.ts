// Runs a command in a qube with stdio carried as RPC frames over an upgraded admin connection (qvm-run).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { BulkheadError } from '../errors/index.js';
import { encodeData, encodeExit, encodeFrame, FrameReader, FrameType, payload, StreamId } from '../features/rpc/frame.js';
import type { DaemonContext } from '../daemon/context.js';
import { createDisposable, destroyDisposable } from '../daemon/lifecycle/dispvm.js';
import { isRunning, startQube } from '../daemon/lifecycle/power.js';
import { runtimeId } from '../daemon/lifecycle/spec.js';
import { errorBody } from './errors.js';
import { EXEC_UPGRADE, execParams } from '../contract/system.js';
import { routes } from '../contract/index.js';
import { DISPLAY_UPGRADE } from '../contract/desktop.js';

export { EXEC_UPGRADE };
/** Upgrades a feature answers itself (the display stream); this handler leaves them alone. */
const OTHER_UPGRADES = new Set([DISPLAY_UPGRADE]);

/** The contract's exec routes (upgrade routes ending in /exec) as patterns of a request's URL (`:name` captured). */
const EXEC_PATHS = Object.values(routes)
  .filter((r) => r.kind === 'upgrade' && r.path.endsWith('/exec'))
  .map((r) => new RegExp(`^${r.path.replace(/:([A-Za-z_]+)/g, '(?<$1>[^/?]+)')}$`));

function refuse(socket: Duplex, e: unknown): void {
  const { status, body } = errorBody(e);
  const text = JSON.stringify(body);
  socket.end(`HTTP/1.1 ${status} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
}

export function attachExec(server: { on(ev: 'upgrade', fn: (req: IncomingMessage, socket: Duplex, head: Buffer) => void): unknown }, ctx: DaemonContext): void {
  server.on('upgrade', (req, socket, head) => {
    if (OTHER_UPGRADES.has((req.headers.upgrade ?? '').toLowerCase())) return;
    void handle(ctx, req, socket, head).catch((e: unknown) => refuse(socket, e));
  });
}

async function handle(ctx: DaemonContext, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  if ((req.headers.upgrade ?? '').toLowerCase() !== EXEC_UPGRADE) throw new BulkheadError('ERR_BAD_REQUEST', 'unknown upgrade');
  const m = EXEC_PATHS.map((re) => re.exec(req.url ?? '')).find((x) => x !== null);
  if (!m) throw new BulkheadError('ERR_BAD_REQUEST', `no exec endpoint at ${req.url}`);
  const qube = m.groups?.name;
  const raw = String(req.headers['x-bulkhead-exec'] ?? '');
  let untrusted: unknown;
  try {
    untrusted = JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
  } catch {
    throw new BulkheadError('ERR_BAD_REQUEST', 'x-bulkhead-exec: not base64 JSON');
  }
  const p = execParams.parse(untrusted);
  let name: string;
  let disposable = false;
  if (qube !== undefined) {
    name = decodeURIComponent(qube);
    ctx.store.requireQube(name);
    if (!isRunning(ctx, name)) {
      if (p.noAutostart) throw new BulkheadError('ERR_QUBE_NOT_RUNNING', `'${name}' is not running`);
      await startQube(ctx, name);
    }
  } else {
    name = await createDisposable(ctx, { template: p.template });
    disposable = true;
  }
  ctx.store.audit('admin', 'qube-exec', name, { argv: p.argv, user: p.user ?? 'user', disposable });
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: ${EXEC_UPGRADE}\r\nconnection: Upgrade\r\nx-bulkhead-qube: ${name}\r\n\r\n`);
  const child = ctx.runtime.exec(runtimeId(ctx, name), p.argv, { user: p.user ?? 'user', env: p.env });
  const reader = new FrameReader();
  let finished = false;
  const onData = (chunk: Buffer) => {
    try {
      for (const f of reader.push(chunk)) {
        if (f.type === FrameType.STDIN) child.stdin.write(f.payload);
        else if (f.type === FrameType.EOF && payload.eof(f) === StreamId.STDIN) child.stdin.end();
      }
    } catch {
      child.kill('SIGKILL');
      socket.destroy();
    }
  };
  if (head.length) onData(head);
  socket.on('data', onData);
  child.stdin.on('error', () => undefined);
  socket.on('close', () => {
    if (!finished) child.kill('SIGKILL');
  });
  socket.on('error', () => undefined);
  child.stdout.on('data', (d: Buffer) => {
    for (const fr of encodeData(FrameType.STDOUT, d)) socket.write(fr);
  });
  child.stderr.on('data', (d: Buffer) => {
    for (const fr of encodeData(FrameType.STDERR, d)) socket.write(fr);
  });
  const code = await new Promise<number>((resolve) => {
    child.on('close', (c, sig) => resolve(c ?? (sig ? 128 + (({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2 } as Record<string, number>)[sig] ?? 1) : 1)));
    child.on('error', () => resolve(126));
  });
  finished = true;
  if (disposable) {
    // The disposable is gone, with all its data, before the caller learns the exit code.
    await destroyDisposable(ctx, name).catch((e: unknown) => ctx.log.error({ err: e, qube: name }, 'disposable removal failed'));
  }
  socket.write(encodeFrame(FrameType.EOF, Uint8Array.of(StreamId.STDOUT)));
  socket.end(encodeExit(code));
}
