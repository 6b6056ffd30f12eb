// Files the admin side writes for gateways and workstations (torrc, identity files), bind-mounted read-only.
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { uidBaseOf, type DaemonContext } from '../daemon/context.js';
import { GW_ADDR, WS_MACHINE_ID, WS_TIMEZONE } from './identity.js';

export function whonixDir(ctx: DaemonContext, name: string): string {
  return join(ctx.paths.runDir, 'whonix', name);
}

/** Writes one file for qube `name`: its dir is 0710 root:uidBase, so only that qube's root passes. */
async function put(ctx: DaemonContext, name: string, file: string, text: string, sub?: string): Promise<string> {
  const top = whonixDir(ctx, name);
  await mkdir(top, { recursive: true, mode: 0o711 });
  await chmod(join(top, '..'), 0o711);
  await chown(top, 0, uidBaseOf(ctx, ctx.store.requireQube(name).qid));
  await chmod(top, 0o710);
  const dir = sub === undefined ? top : join(top, sub);
  if (sub !== undefined) {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await chmod(dir, 0o755); // mounted as a directory: the qube's root lists it as "other"
  }
  const p = join(dir, file);
  await writeFile(p, text, { mode: 0o644 });
  await chmod(p, 0o644); // the daemon's umask is 077; the qube's root reads it as "other"
  return p;
}

/** Mounts that give a workstation Whonix's identity and its only resolver (the gateway). */
export async function workstationMounts(ctx: DaemonContext, name: string) {
  const ro = (source: string, destination: string) => ({ source, destination, readonly: true });
  return [
    ro(await put(ctx, name, 'machine-id', `${WS_MACHINE_ID}\n`), '/etc/machine-id'),
    ro(await put(ctx, name, 'timezone', `${WS_TIMEZONE}\n`), '/etc/timezone'),
    ro('/usr/share/zoneinfo/UTC', '/etc/localtime'),
    ro(await put(ctx, name, 'resolv.conf', `nameserver ${GW_ADDR}\n`), '/etc/resolv.conf'),
    ro(await put(ctx, name, 'hosts', '127.0.0.1\tlocalhost\n127.0.1.1\thost\n'), '/etc/hosts'),
  ];
}

/** The gateway's torrc and an empty defaults file / GeoIP file, in one host directory mounted at /etc/bulkhead-tor. */
export async function writeGatewayFiles(ctx: DaemonContext, name: string, torrc: string): Promise<string> {
  const dir = join(whonixDir(ctx, name), 'tor');
  await put(ctx, name, 'torrc', torrc, 'tor');
  await put(ctx, name, 'empty', '', 'tor');
  return dir;
}
