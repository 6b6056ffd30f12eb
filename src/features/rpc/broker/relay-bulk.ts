// Relays a bulk call (file copy) through a small C process instead of the daemon: the caller's bytes are spliced, never copied through Node.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { FrameType } from '../frame.js';
import { relay, type RelayResult } from './relay.js';
import { FrameScanner } from './scanner.js';
import { NATIVE_BUILD } from '../../../native/index.js';

/** Services whose calls carry bulk data from caller to service. */
export const BULK_SERVICES: ReadonlySet<string> = new Set(['qubes.Filecopy']);
const RELAY_BIN = join(NATIVE_BUILD, 'bh-rpc-relay');
const FROM_CALLER = new Set<number>([FrameType.STDIN, FrameType.EOF]);

/** Stops Node reading a socket and returns what it had buffered already. */
function takeOver(sock: Socket): Buffer {
  (sock as unknown as { _handle?: { readStop?: () => number } })._handle?.readStop?.();
  sock.pause();
  const parts: Buffer[] = [];
  for (let c = sock.read() as Buffer | null; c !== null; c = sock.read() as Buffer | null) parts.push(c);
  return Buffer.concat(parts);
}

const written = (sock: Socket, data: Buffer) => new Promise<void>((res, rej) => (data.length ? sock.write(data, (e) => (e ? rej(e) : res())) : res()));

export async function relayBulk(caller: Socket, callerRest: Buffer, service: Socket, serviceRest: Buffer): Promise<RelayResult> {
  const up = Buffer.concat([callerRest, takeOver(caller)]);
  const down = Buffer.concat([serviceRest, takeOver(service)]);
  // Anything from the service already, or no relay binary: the ordinary relay handles the call.
  if (down.length > 0 || !existsSync(RELAY_BIN)) {
    caller.resume();
    service.resume();
    return relay(caller, up, service, down);
  }
  const res: RelayResult = { exit: null, end: 'exit', bytesIn: up.length, bytesOut: 0 };
  try {
    new FrameScanner(FROM_CALLER).push(up);
    await written(service, up);
  } catch {
    caller.destroy();
    service.destroy();
    return { ...res, end: 'protocol' };
  }
  const child = spawn(RELAY_BIN, ['0', ''], { stdio: [caller, service, 'ignore', 'pipe'] });
  let report = '';
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (b: Buffer) => {
    report += b.toString();
  });
  const code = await new Promise<number | null>((r) => {
    child.on('close', (c) => r(c));
    child.on('error', () => r(null));
  });
  caller.destroy();
  service.destroy();
  const m = /^(exit|end) (\S+)/.exec(report);
  if (code !== 0 || !m) return { ...res, end: 'protocol' };
  if (m[1] === 'exit') return { ...res, exit: Number(m[2]), end: 'exit' };
  return { ...res, end: m[2] as RelayResult['end'] };
}
