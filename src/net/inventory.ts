// Inventory of every link and route of the namespaces carrying a prefix, plus the host's links: the input of the sealing check.
import type { NetInventory } from '../model/sealing.js';
import { parseRoutes } from './addresses.js';
import { inspectNetns } from './link.js';
import { netnsList } from './netns.js';

/** Links (with veth peers located) and routes of every namespace whose name starts with `prefix`, and the host's links. */
export async function prefixInventory(prefix: string): Promise<NetInventory> {
  const namespaces = await netnsList(prefix);
  const [host, ...each] = await Promise.all([inspectNetns(null), ...namespaces.map((ns) => inspectNetns(ns))]);
  const inv: NetInventory = { prefix, namespaces, links: [], routes: [], hostLinks: host?.links ?? [] };
  namespaces.forEach((ns, i) => {
    const r = each[i];
    if (!r) return;
    inv.links.push(...r.links);
    inv.routes.push(...parseRoutes(ns, 4, r.routes4), ...parseRoutes(ns, 6, r.routes6));
  });
  return inv;
}
