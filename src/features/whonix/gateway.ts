// A gateway qube: tor inside it with a generated torrc, its nft ruleset (fail-closed), the control-port filter.
import { rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BulkheadError } from '../../errors/index.js';
import { livePid, pidRecordText, run } from '../../exec/index.js';
import {
  assignSlots,
  gatewayRouting,
  gatewayRuleset,
  generateTorrc,
  hashControlPassword,
  listenerOf,
  lockdownRuleset,
  planGateway,
  CONTROL_FILTER_PORT,
  DEFAULT_LOCKDOWN_TABLE,
  type GatewayInput,
  type WorkstationLink,
} from '../../gateway/index.js';
import { effective, type QubeRecord, uplinkOf } from '../../model/index.js';
import { applyRuleset } from '../../net/nft.js';
import { netnsSysctl } from '../../net/index.js';
import type { DaemonContext } from '../../daemon/context.js';
import { uidBaseOf } from '../../daemon/context.js';
import { rootSource, runtimeId } from '../../daemon/lifecycle/spec.js';
import { volumePaths } from '../../storage/index.js';
import { qubeNetns, vifName } from '../network/names.js';
import { execIn, type ExecResult } from './exec-in.js';
import { readLabTor } from './lab-tor.js';
import { gatewayNetwork, startRefusal } from './profile.js';
import { storedBridges } from './bridges.js';
import { GW_ADDR, WS_ADDR } from './identity.js';
import { SUPERVISOR_FILE } from './tor-supervisor.js';
import { CONTROL_FILTER_PID_FILE, TOR_DATA_DIR_IN_QUBE, TOR_FILES_DIR_IN_QUBE } from './tor-paths.js';
import { newGatewayPassword, readControlPassword, whonixDir, writeGatewayFiles } from './files.js';
import { resolveQubeUser } from '../../runtime/ns/passwd.js';

/** The workstation feature that keeps its listener block behind its gateway (`GATEWAY:SLOT`). */
export const SLOT_FEATURE = 'gateway.slot';
/** The uid and gid the control-port filter runs as once it listens (the host's nobody / nogroup). */
export const FILTER_UID = 65534;
export const FILTER_GID = 65534;

export const TOR_DATA_DIR = TOR_DATA_DIR_IN_QUBE;
export const TOR_FILES_IN_QUBE = TOR_FILES_DIR_IN_QUBE;
const REPO = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/** Workstations of a gateway: every qube whose netvm is it, in qid order. */
export function workstationsOf(ctx: DaemonContext, gateway: string): QubeRecord[] {
  const sys = ctx.store.system();
  return [...sys.qubes.values()].filter((q) => effective(q, 'netvm', sys) === gateway).sort((a, b) => a.qid - b.qid);
}

/**
 * Each workstation's link with its listener block. The block is kept by the qube (feature
 * `gateway.slot` = `GATEWAY:SLOT`), never derived from its position: creating or removing another
 * workstation moves no listener, and a restart of the daemon or gateway keeps every block.
 */
export function workstationLinks(ctx: DaemonContext, gateway: string): WorkstationLink[] {
  const wss = workstationsOf(ctx, gateway);
  const kept = new Map<string, number>();
  for (const w of wss) {
    const m = /^(.+):(\d{1,5})$/.exec(w.features[SLOT_FEATURE] ?? '');
    if (m && m[1] === gateway) kept.set(w.name, Number(m[2]));
  }
  const slots = assignSlots(
    wss.map((w) => w.name),
    kept,
  );
  for (const w of wss) {
    const value = `${gateway}:${slots.get(w.name)}`;
    if (w.features[SLOT_FEATURE] !== value) ctx.store.setFeature('admin', w.name, SLOT_FEATURE, value);
  }
  return wss.map((w) => ({ name: w.name, ifname: vifName(w.qid), gatewayAddr: GW_ADDR, workstationAddr: WS_ADDR, slot: slots.get(w.name)! }));
}

/** tor's uid on the host: the gateway's uid base plus debian-tor's uid in its template (read without following the template's symlinks). */
async function torUid(ctx: DaemonContext, gw: QubeRecord): Promise<number> {
  const src = rootSource(gw, ctx.store.system());
  let uid: number;
  try {
    uid = resolveQubeUser(volumePaths(ctx.paths.qubesDir, src.name).rootfs, 'debian-tor').uid;
  } catch (e) {
    throw new BulkheadError(
      'ERR_TEMPLATE',
      `template '${src.name}' of gateway '${gw.name}': no usable debian-tor user (is tor installed?): ${(e as Error).message}`,
      { cause: e },
    );
  }
  if (uid === 0 || uid >= 65536) throw new BulkheadError('ERR_TEMPLATE', `template '${src.name}': debian-tor has uid ${uid}; tor must not run as root`);
  return uidBaseOf(ctx, gw.qid) + uid;
}

/**
 * What the gateway's torrc and rules are made from. The network profile decides only the authority
 * section; a profile this build must not start (public, or lab behind a real uplink) is refused here,
 * before any file is written or rule loaded (profile.ts: startRefusal).
 */
export async function gatewayInput(ctx: DaemonContext, gateway: string): Promise<GatewayInput> {
  const gw = ctx.store.requireQube(gateway);
  const sys = ctx.store.system();
  const network = gatewayNetwork(sys, gw);
  const why = startRefusal(gateway, network, uplinkOf(sys, gw));
  if (why) throw new BulkheadError('ERR_NETWORK', why);
  // startRefusal admits only the lab profile: there is no path here that starts a public gateway.
  if (network !== 'lab') throw new BulkheadError('ERR_INTERNAL', `gateway '${gateway}': profile ${network} is never started`);
  const lab = await readLabTor(ctx);
  const bridges = storedBridges(gw).map((b) => b.line);
  return {
    network,
    workstations: workstationLinks(ctx, gateway),
    dirAuthorities: lab.dirAuthorityLines,
    bridges: bridges.length ? bridges : undefined,
    dataDir: TOR_DATA_DIR,
    control: { host: '127.0.0.1', port: 9052 },
    controlPasswordHash: hashControlPassword(await readControlPassword(ctx, gateway)),
    torUid: await torUid(ctx, gw),
    uplink: 'eth0',
    geoipFile: `${TOR_FILES_IN_QUBE}/empty`,
  };
}

/** Before the gateway starts: lockdown first, then its real ruleset; torrc written for the mount. */
export async function prepareGateway(ctx: DaemonContext, gateway: string): Promise<{ filesDir: string }> {
  const ns = qubeNetns(ctx, gateway);
  await netnsSysctl(ns, { 'net.ipv4.ip_forward': 0 });
  await applyRuleset(ns, lockdownRuleset());
  // A fresh control password for this start; tor sees only its hash in the torrc.
  await newGatewayPassword(ctx, gateway);
  const input = await gatewayInput(ctx, gateway);
  const filesDir = await writeGatewayFiles(ctx, gateway, generateTorrc(input));
  await loadGatewayRules(ctx, gateway, input);
  return { filesDir };
}

/** Load the gateway ruleset and routing; drop the lockdown only once they are in. Failure keeps lockdown. */
export async function loadGatewayRules(ctx: DaemonContext, gateway: string, input: GatewayInput): Promise<void> {
  const ns = qubeNetns(ctx, gateway);
  try {
    await applyRuleset(ns, gatewayRuleset(input));
    await run('ip', ['-n', ns, 'address', 'replace', `${GW_ADDR}/32`, 'dev', 'lo']);
    for (const cmd of gatewayRouting(planGateway(input)).commands) {
      const r = await run('ip', ['-n', ns, ...cmd], { allowFail: true });
      // A rule may exist already; a route waits for its workstation's link (added again when it attaches).
      if (r.code !== 0 && !/File exists|Cannot find device/.test(r.stderr)) throw new BulkheadError('ERR_NETWORK', `ip ${cmd.join(' ')}: ${r.stderr.trim()}`);
    }
  } catch (e) {
    await applyRuleset(ns, lockdownRuleset()).catch(() => undefined);
    throw new BulkheadError('ERR_FIREWALL', `gateway '${gateway}' ruleset not loaded; lockdown stays: ${(e as Error).message}`, { cause: e });
  }
  await run('ip', ['netns', 'exec', ns, 'nft', 'delete', 'table', 'inet', DEFAULT_LOCKDOWN_TABLE], { allowFail: true });
}

/** What the gateway printed, cut short for an error message (the gateway chooses it). */
const shortOutput = (r: ExecResult) => `${r.stdout}${r.stderr}`.trim().slice(0, 2000);

/**
 * Start tor's supervisor inside the gateway as debian-tor (it outlives the exec: its parent becomes the
 * qube's init). The supervisor runs tor and restarts it with back-off (tor-supervisor.ts).
 */
export async function startTor(ctx: DaemonContext, gateway: string): Promise<void> {
  const mk = await execIn(ctx, gateway, ['install', '-d', '-o', 'debian-tor', '-g', 'debian-tor', '-m', '0700', TOR_DATA_DIR], { user: 'root' });
  if (mk.code !== 0) throw new BulkheadError('ERR_RUNTIME', `gateway '${gateway}': cannot make ${TOR_DATA_DIR}: ${shortOutput(mk)}`);
  const start = await execIn(ctx, gateway, ['sh', '-c', `setsid -f sh ${TOR_FILES_IN_QUBE}/${SUPERVISOR_FILE} >/dev/null 2>&1 </dev/null`], {
    user: 'debian-tor',
  });
  if (start.code !== 0) throw new BulkheadError('ERR_RUNTIME', `gateway '${gateway}': tor did not start: ${shortOutput(start)}`);
}

/** Ask tor in the gateway to re-read its torrc (new workstation listeners, same control password). */
export async function reloadTor(ctx: DaemonContext, gateway: string): Promise<void> {
  await execIn(ctx, gateway, ['sh', '-c', 'kill -HUP $(pidof tor)'], { user: 'debian-tor' });
}

function filterPidFile(ctx: DaemonContext, gateway: string): string {
  return join(whonixDir(ctx, gateway), CONTROL_FILTER_PID_FILE);
}

/**
 * The control-port filter: one small process in the gateway's network namespace, one listener per
 * workstation. It never runs as host root: setpriv leaves it no capability but CAP_SETUID/CAP_SETGID
 * and sets no_new_privs; once it has read its code, its profile and the password (on stdin, never
 * argv) and listens, it becomes nobody:nogroup, which leaves it no capability at all.
 */
export async function startControlFilter(ctx: DaemonContext, gateway: string, input: GatewayInput): Promise<void> {
  await stopControlFilter(ctx, gateway);
  const inst = await ctx.runtime.state(runtimeId(ctx, gateway));
  if (!inst) throw new BulkheadError('ERR_QUBE_NOT_RUNNING', `gateway '${gateway}' is not running`);
  const plan = planGateway(input);
  if (!plan.workstations.length) return;
  const password = await readControlPassword(ctx, gateway);
  const listens = plan.workstations.flatMap((w) => ['--listen', `${GW_ADDR}:${listenerOf(w, CONTROL_FILTER_PORT).port}`]);
  const main = join(REPO, 'dist', 'control-filter', 'main.js');
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      qubeNetns(ctx, gateway),
      'setpriv',
      '--no-new-privs',
      '--inh-caps=-all',
      '--ambient-caps=-all',
      '--bounding-set=-all,+setuid,+setgid',
      '--',
      process.execPath,
      main,
      ...listens,
      '--tor-control',
      '127.0.0.1:9052',
      '--run-as',
      `${FILTER_UID}:${FILTER_GID}`,
      '--profile',
      join(REPO, 'gateway-profiles', 'default.json'),
      '--socks-address',
      `${GW_ADDR}:9050`,
    ],
    { detached: true, stdio: ['pipe', 'ignore', 'ignore'] },
  );
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(`${password}\n`);
  child.unref();
  if (child.pid) await writeFile(filterPidFile(ctx, gateway), pidRecordText(child.pid));
}

export async function stopControlFilter(ctx: DaemonContext, gateway: string): Promise<void> {
  const f = filterPidFile(ctx, gateway);
  // Only the process this file was written for: its pid and start time both match.
  const pid = livePid(f);
  if (pid !== null) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  await rm(f, { force: true });
}
