// Names of a qube's network objects: its namespace and the netvm-side end of its link.
import type { DaemonContext } from '../../daemon/context.js';

export const QUBE_IF = 'eth0';

export function qubeNetns(ctx: Pick<DaemonContext, 'prefix'>, name: string): string {
  return `${ctx.prefix}-${name}`;
}

/** Netvm side of a qube's link (Qubes: vifN.0); the qid keeps it unique and ≤ 15 chars. */
export function vifName(qid: number): string {
  return `vif${qid}`;
}

export function netnsPath(ns: string): string {
  return `/run/netns/${ns}`;
}
