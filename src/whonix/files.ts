// Files the admin side writes for gateways and workstations (torrc, identity files), bind-mounted read-only.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DaemonContext } from '../daemon/context.js';
import { GW_ADDR, WS_MACHINE_ID, WS_TIMEZONE } from './identity.js';

export function whonixDir(ctx: DaemonContext, name: string): string {
  return join(ctx.paths.runDir, 'whonix', name);
}

async function put(dir: string, file: string, text: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o711 });
  const p = join(dir, file);
  await writeFile(p, text, { mode: 0o644 });
  return p;
}

/** Mounts that give a workstation Whonix's identity and its only resolver (the gateway). */
export async function workstationMounts(ctx: DaemonContext, name: string) {
  const dir = whonixDir(ctx, name);
  const ro = (source: string, destination: string) => ({ source, destination, readonly: true });
  return [
    ro(await put(dir, 'machine-id', `${WS_MACHINE_ID}\n`), '/etc/machine-id'),
    ro(await put(dir, 'timezone', `${WS_TIMEZONE}\n`), '/etc/timezone'),
    ro('/usr/share/zoneinfo/UTC', '/etc/localtime'),
    ro(await put(dir, 'resolv.conf', `nameserver ${GW_ADDR}\n`), '/etc/resolv.conf'),
    ro(await put(dir, 'hosts', '127.0.0.1\tlocalhost\n127.0.1.1\thost\n'), '/etc/hosts'),
  ];
}

/** The gateway's torrc and an empty defaults file / GeoIP file, in one host directory mounted at /etc/bulkhead-tor. */
export async function writeGatewayFiles(ctx: DaemonContext, name: string, torrc: string): Promise<string> {
  const dir = join(whonixDir(ctx, name), 'tor');
  await put(dir, 'torrc', torrc);
  await put(dir, 'empty', '');
  return dir;
}
