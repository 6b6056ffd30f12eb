// Inventory of every link and route of the namespaces carrying a prefix, plus the host's links: the input of the sealing check.
import type { NetInventory } from '../model/sealing.js';
import { parseRoutes } from './addresses.js';
import { inspectNetns } from './link.js';
import { netnsExists, netnsList } from './netns.js';

/** Links (with veth peers located) and routes of every namespace whose name starts with `prefix`, and the host's links. */
export async function prefixInventory(prefix: string): Promise<NetInventory> {
  const listed = await netnsList(prefix);
  // A namespace deleted while we look is skipped; any other failure to inspect is an error, never a pass.
  const inspect = async (ns: string): Promise<Awaited<ReturnType<typeof inspectNetns>> | null> => {
    try {
      return await inspectNetns(ns);
    } catch (e) {
      if (!(await netnsExists(ns))) return null;
      throw e;
    }
  };
  const [host, ...each] = await Promise.all([inspectNetns(null), ...listed.map(inspect)]);
  const inv: NetInventory = { prefix, namespaces: [], links: [], routes: [], hostLinks: host?.links ?? [] };
  listed.forEach((ns, i) => {
    const r = each[i];
    if (!r) return;
    inv.namespaces.push(ns);
    inv.links.push(...r.links);
    inv.routes.push(...parseRoutes(ns, 4, r.routes4), ...parseRoutes(ns, 6, r.routes6));
  });
  return inv;
}
