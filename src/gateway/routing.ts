// Policy routing a gateway needs so replies leave by the link they came in on (same addresses on every link).
import type { GatewayPlan } from './types.js';

export interface RoutingPlan {
  /** `ip` argument arrays, in order (run with `ip -n NETNS ...` or inside the gateway). */
  commands: string[][];
}

/**
 * For each workstation: a routing table holding only the route to that workstation via its own
 * link, and a rule sending packets marked with the link's connection mark (set by the gateway
 * ruleset) to that table. Unmarked packets use the main table, which needs no route to workstations.
 */
export function gatewayRouting(plan: GatewayPlan, tableBase = 100, rulePriority = 100): RoutingPlan {
  const commands: string[][] = [];
  for (const w of plan.workstations) {
    const table = String(tableBase + w.mark);
    commands.push(['route', 'replace', `${w.workstationAddr}/32`, 'dev', w.ifname, 'src', w.gatewayAddr, 'table', table]);
    commands.push(['rule', 'add', 'fwmark', String(w.mark), 'lookup', table, 'priority', String(rulePriority + w.mark)]);
  }
  return { commands };
}
