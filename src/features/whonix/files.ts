// Files the admin side writes for gateways and workstations (torrc, identity files), bind-mounted read-only.
import { chmod, chown, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { BulkheadError } from '../../errors/index.js';
import { BROWSER_FILES, browserConfig, newControlPassword } from '../../gateway/index.js';
import { supervisorScript, SUPERVISOR_FILE } from './tor-supervisor.js';
import { join } from 'node:path';
import { uidBaseOf, type DaemonContext } from '../../daemon/context.js';
import { whonixQubeDir } from '../../daemon/paths.js';
import { GW_ADDR, WS_MACHINE_ID, WS_TIMEZONE } from './identity.js';
import { CONTROL_PASSWORD_FILE, GATEWAY_TOR_SUBDIR, WORKSTATION_BROWSER_FILES, WORKSTATION_BROWSER_SUBDIR } from './tor-paths.js';

export function whonixDir(ctx: DaemonContext, name: string): string {
  return whonixQubeDir(ctx.paths, name);
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

/** Mounts that give a workstation Whonix's identity, its only resolver (the gateway) and its browser's configuration. */
export async function workstationMounts(ctx: DaemonContext, name: string) {
  const ro = (source: string, destination: string) => ({ source, destination, readonly: true });
  // Made at each start from the gateway's address on this workstation's link and the port plan, so a template never holds a stale one.
  const browser = browserConfig({ gatewayAddr: GW_ADDR });
  return [
    ro(await put(ctx, name, WORKSTATION_BROWSER_FILES.policies, browser.policiesJson, WORKSTATION_BROWSER_SUBDIR), BROWSER_FILES.policies),
    ro(await put(ctx, name, WORKSTATION_BROWSER_FILES.prefs, browser.prefsJs, WORKSTATION_BROWSER_SUBDIR), BROWSER_FILES.prefs),
    ro(await put(ctx, name, 'machine-id', `${WS_MACHINE_ID}\n`), '/etc/machine-id'),
    ro(await put(ctx, name, 'timezone', `${WS_TIMEZONE}\n`), '/etc/timezone'),
    ro('/usr/share/zoneinfo/UTC', '/etc/localtime'),
    ro(await put(ctx, name, 'resolv.conf', `nameserver ${GW_ADDR}\n`), '/etc/resolv.conf'),
    ro(await put(ctx, name, 'hosts', '127.0.0.1\tlocalhost\n127.0.1.1\thost\n'), '/etc/hosts'),
  ];
}

/** The gateway's torrc, tor's supervisor and an empty defaults file / GeoIP file, in one host directory mounted at /etc/bulkhead-tor. */
export async function writeGatewayFiles(ctx: DaemonContext, name: string, torrc: string): Promise<string> {
  const dir = join(whonixDir(ctx, name), GATEWAY_TOR_SUBDIR);
  await put(ctx, name, 'torrc', torrc, GATEWAY_TOR_SUBDIR);
  await put(ctx, name, 'empty', '', GATEWAY_TOR_SUBDIR);
  await put(ctx, name, SUPERVISOR_FILE, supervisorScript(), GATEWAY_TOR_SUBDIR);
  return dir;
}

/**
 * The control password of a gateway's tor: made fresh at each gateway start, kept root-only in the
 * admin's own directory (never in the directory mounted into the gateway). tor gets only its hash.
 */
function passwordFile(ctx: DaemonContext, name: string): string {
  return join(whonixDir(ctx, name), CONTROL_PASSWORD_FILE);
}

export async function newGatewayPassword(ctx: DaemonContext, name: string): Promise<string> {
  await mkdir(whonixDir(ctx, name), { recursive: true, mode: 0o700 });
  const pw = newControlPassword();
  const tmp = `${passwordFile(ctx, name)}.new`;
  await writeFile(tmp, `${pw}\n`, { mode: 0o600, flag: 'w' });
  await chmod(tmp, 0o600);
  await rename(tmp, passwordFile(ctx, name));
  return pw;
}

export async function readControlPassword(ctx: DaemonContext, name: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(passwordFile(ctx, name), 'utf8');
  } catch (e) {
    throw new BulkheadError('ERR_QUBE_NOT_RUNNING', `gateway '${name}': no control password (was it started by this daemon?)`, { cause: e });
  }
  const pw = text.trim();
  if (!/^[0-9a-f]{64}$/.test(pw)) throw new BulkheadError('ERR_RUNTIME', `${passwordFile(ctx, name)}: not a control password`);
  return pw;
}
