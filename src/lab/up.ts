// lab up: the namespaces that stand in for the internet (router, two web hosts, DNS), their links, CA and servers.
import { writeFile } from 'node:fs/promises';
import { BulkheadError } from '../errors/index.js';
import { checkLabPrefix, dnsmasqArgs, LAB_HOSTS, LAB_ROUTER_SERVICES, labNetns, routerIfname } from '../model/lab-plan.js';
import { NetnsBatches, netnsAdd, netnsExists, netnsSysctl, p2pLines, SYSCTL_FORWARD, SYSCTL_NO_IPV6, vethCreate } from '../net/index.js';
import { CERT_FILES, makeLabCerts, SERVER_CERT, SERVER_KEY } from './ca.js';
import { labDownLocked } from './down.js';
import { DNS_PID_FILE, hostLogFile } from './files.js';
import { startDetached, waitListening } from './procs.js';
import { labFile, readLabState, withLabLock, writeLabState, type LabHostRecord, type LabState } from './state.js';
import { labStatus, type LabStatus } from './status.js';
import { WEB_SERVER_FILE, WEB_SERVER_SOURCE } from './web-server.js';

const HOST_IF = 'eth0';

/** Build the lab world for `prefix`, recording it in `stateDir`. Already up: returns its status. Half-built: rebuilt. */
export async function labUp(prefix: string, stateDir: string): Promise<LabStatus> {
  checkLabPrefix(prefix);
  return withLabLock(stateDir, async () => {
    const old = await readLabState(stateDir);
    if (old) {
      if (old.prefix !== prefix) throw new BulkheadError('ERR_NETWORK', `${stateDir}: a lab with prefix ${old.prefix} is recorded here; take it down first`);
      const st = await labStatus(prefix, stateDir);
      if (st.up) return st;
      await labDownLocked(prefix, stateDir);
    }
    for (const h of LAB_HOSTS) {
      const ns = labNetns(prefix, h.name);
      if (await netnsExists(ns)) throw new BulkheadError('ERR_NETWORK', `namespace ${ns} exists but no lab records it; remove it or use another prefix`);
    }
    const state = newState(prefix);
    await writeLabState(stateDir, state); // first, so lab down can clean up whatever follows
    try {
      await build(state, stateDir);
    } catch (e) {
      await labDownLocked(prefix, stateDir).catch(() => {});
      throw e;
    }
    return labStatus(prefix, stateDir);
  });
}

function newState(prefix: string): LabState {
  const hosts: LabHostRecord[] = LAB_HOSTS.map((h) => ({
    name: h.name,
    role: h.role,
    netns: labNetns(prefix, h.name),
    addresses: [...h.addresses],
    names: [...h.names],
    owned: true,
    ...(h.role === 'router' ? {} : { routerIfname: routerIfname('host', h.name) }),
  }));
  return { version: 1, prefix, createdAt: new Date().toISOString(), hosts, processes: [], uplinks: [], files: [] };
}

async function build(state: LabState, stateDir: string): Promise<void> {
  const router = state.hosts.find((h) => h.role === 'router') as LabHostRecord;
  const leaves = state.hosts.filter((h) => h.role !== 'router');
  state.files.push(...CERT_FILES, WEB_SERVER_FILE, ...leaves.map((h) => hostLogFile(h.name)), DNS_PID_FILE);
  await writeLabState(stateDir, state);

  // Certificates and the server script are made while the namespaces are wired.
  const files = Promise.all([makeLabCerts(stateDir, state.prefix), writeFile(labFile(stateDir, WEB_SERVER_FILE), WEB_SERVER_SOURCE, { mode: 0o600 })]);
  files.catch(() => {});

  await netnsAdd(state.hosts.map((h) => h.netns));
  // IPv6 off before any link exists (new links inherit `default`); only the router forwards.
  await Promise.all(state.hosts.map((h) => netnsSysctl(h.netns, h.role === 'router' ? { ...SYSCTL_NO_IPV6, ...SYSCTL_FORWARD } : SYSCTL_NO_IPV6)));
  await vethCreate(leaves.map((h) => ({ netns: router.netns, ifname: h.routerIfname as string, peerNetns: h.netns, peerIfname: HOST_IF })));
  const batches = new NetnsBatches().add(router.netns, ['link set lo up']);
  for (const h of leaves) {
    const hostEnd = { netns: h.netns, ifname: HOST_IF, addresses: h.addresses };
    const routerEnd = { netns: router.netns, ifname: h.routerIfname as string, addresses: [LAB_ROUTER_SERVICES] };
    batches.add(h.netns, p2pLines(hostEnd, routerEnd, { defaultRoute: true, loUp: true }));
    batches.add(router.netns, p2pLines(routerEnd, hostEnd));
  }
  await batches.apply();
  await files;

  const f = (n: string): string => labFile(stateDir, n);
  const node = process.execPath;
  const starts = leaves.map(async (h) => {
    const log = f(`${h.name}.log`);
    if (h.role === 'dns') {
      const p = await startDetached(h.name, h.netns, 'dnsmasq', dnsmasqArgs({ pidFile: f('dns.pid'), logFile: log }), log);
      state.processes.push(p);
      await waitListening(p, { udp: [53], tcp: [53] }, log);
    } else {
      const p = await startDetached(h.name, h.netns, node, [f(WEB_SERVER_FILE), h.names[0] as string, f(SERVER_CERT), f(SERVER_KEY)], log);
      state.processes.push(p);
      await waitListening(p, { tcp: [80, 443] }, log);
    }
  });
  const results = await Promise.allSettled(starts);
  await writeLabState(stateDir, state);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
