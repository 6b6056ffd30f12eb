// lab down: stop exactly the lab's processes, delete its namespaces (links go with them) and the files it wrote.
import { rm } from 'node:fs/promises';
import { BulkheadError } from '../errors/index.js';
import { checkLabPrefix, LAB_HOSTS, labNetns } from '../model/lab-plan.js';
import { netnsDelete, netnsExists, netnsPids } from '../net/index.js';
import { killAndWait, procStat, stopLabProcess } from './procs.js';
import { labFile, readLabState, removeLabStateFile, withLabLock } from './state.js';
import type { LabDownReport } from '../contract/lab.js';
export type { LabDownReport };

export async function labDown(prefix: string, stateDir: string): Promise<LabDownReport> {
  checkLabPrefix(prefix);
  return withLabLock(stateDir, () => labDownLocked(prefix, stateDir));
}

/** lab down for a caller that already holds the lab lock. Works from a missing or partial record too. */
export async function labDownLocked(prefix: string, stateDir: string): Promise<LabDownReport> {
  const state = await readLabState(stateDir);
  if (state && state.prefix !== prefix) throw new BulkheadError('ERR_NETWORK', `${stateDir}: the lab recorded here has prefix ${state.prefix}, not ${prefix}`);
  const namespaces = new Set(LAB_HOSTS.map((h) => labNetns(prefix, h.name)));
  for (const h of state?.hosts ?? []) if (h.owned) namespaces.add(h.netns);
  const stopped: number[] = [];

  // 1. The servers the lab recorded, each checked to still be the same process in the same namespace.
  await Promise.all(
    (state?.processes ?? []).map(async (p) => {
      if ((await stopLabProcess(p)) === 'stopped') stopped.push(p.pid);
    }),
  );
  // 2. Anything still inside a namespace the lab made (started there by the lab or its users) would keep it alive.
  for (const ns of namespaces) {
    for (const pid of await netnsPids(ns)) {
      const s = await procStat(pid);
      if (s && (await killAndWait(pid, s.startTime)) === 'stopped') stopped.push(pid);
    }
  }
  // 3. Namespaces: deleting the router removes every uplink and attached veth with it.
  await netnsDelete([...namespaces]);
  const left: string[] = [];
  for (const ns of namespaces) if (await netnsExists(ns)) left.push(ns);
  if (left.length) throw new BulkheadError('ERR_NETWORK', `lab down left namespaces: ${left.join(', ')}`);

  // 4. Files the lab wrote (the lock's release removes the directory if nothing else is in it).
  const files = [...(state?.files ?? [])];
  await Promise.all(files.map((f) => rm(labFile(stateDir, f), { force: true })));
  await removeLabStateFile(stateDir);
  return { stopped, namespaces: [...namespaces], files };
}
