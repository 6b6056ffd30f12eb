// What the lab looks like right now: each host with its namespace and addresses, whether its namespace and server are alive.
import { netnsExists } from '../net/index.js';
import { labFile, readLabState } from './state.js';
import { isLabProcess } from './procs.js';
import { CA_CERT } from './ca.js';
import { LAB_ROUTER_UPLINK } from '../model/lab-plan.js';
import type { LabHostStatus, LabStatus } from '../contract/lab.js';
export type { LabHostStatus, LabStatus };

export async function labStatus(prefix: string, stateDir: string): Promise<LabStatus> {
  const state = await readLabState(stateDir);
  if (!state) return { up: false, prefix: null, stateDir, hosts: [], uplinks: [], caCert: null, problems: ['no lab is recorded here'] };
  const problems: string[] = [];
  if (state.prefix !== prefix) problems.push(`the lab recorded here has prefix ${state.prefix}, not ${prefix}`);
  const hosts = await Promise.all(
    state.hosts.map(async (h): Promise<LabHostStatus> => {
      const present = await netnsExists(h.netns);
      if (!present) problems.push(`namespace ${h.netns} is missing`);
      const s: LabHostStatus = { name: h.name, role: h.role, netns: h.netns, addresses: h.addresses, names: h.names, present };
      const proc = state.processes.find((p) => p.name === h.name);
      if (proc) {
        s.pid = proc.pid;
        s.running = await isLabProcess(proc);
        if (!s.running) problems.push(`${h.name} server (pid ${proc.pid}) is not running`);
      }
      return s;
    }),
  );
  if (state.processes.length === 0) problems.push('no server was started');
  const uplinks = state.uplinks.map((u) => ({ netns: u.netns, ifname: u.ifname, address: u.address, gateway: LAB_ROUTER_UPLINK }));
  return { up: problems.length === 0, prefix: state.prefix, stateDir, hosts, uplinks, caCert: labFile(stateDir, CA_CERT), problems };
}
