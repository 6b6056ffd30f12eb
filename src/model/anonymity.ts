// The Tor rule (pure): a qube whose traffic goes through a gateway only ever gets disposables behind a gateway or offline.
//
// Qubes 4.3 refuses a clearnet netvm for a Whonix workstation; bulkhead extends that to everything
// an anonymous qube can reach by itself: its disposables (default_dispvm, `@dispvm`, `@dispvm:X`,
// disposables of disposables) and every netvm in the chains involved. A disposable template is
// acceptable for an anonymous qube when its netvm chain passes a gateway, or when it has no
// netvm at all (a disposable without network cannot reveal the user's address).
import { BulkheadError } from '../errors/index.js';
import type { QubeRecord, SystemView } from './qube.js';
import { effective, isGateway, isWorkstationTagged } from './properties.js';

/** How a qube's traffic leaves: through a gateway, straight out (clearnet), or not at all. */
export type NetReach = 'tor' | 'clearnet' | 'none';

export interface NetPath {
  reach: NetReach;
  /** The netvms walked, nearest first (ends at the gateway for 'tor'). */
  chain: string[];
}

const MAX_HOPS = 64;

/** Walk a qube's netvm chain until a gateway or its end. An unknown netvm or a loop counts as clearnet (fail closed). */
export function netPath(sys: SystemView, q: QubeRecord): NetPath {
  const chain: string[] = [];
  let cur = q;
  for (let hops = 0; hops < MAX_HOPS; hops++) {
    const n = effective(cur, 'netvm', sys);
    if (n === null) return { reach: chain.length === 0 ? 'none' : 'clearnet', chain };
    const name = String(n);
    chain.push(name);
    const next = sys.qubes.get(name);
    if (!next) return { reach: 'clearnet', chain };
    if (isGateway(next)) return { reach: 'tor', chain };
    cur = next;
  }
  return { reach: 'clearnet', chain };
}

/** Anonymous: a Whonix workstation (tag anon-vm) or any qube whose netvm chain passes a gateway. */
export function isAnonymous(sys: SystemView, q: QubeRecord): boolean {
  return isWorkstationTagged(q) || netPath(sys, q).reach === 'tor';
}

const showChain = (p: NetPath) => (p.chain.length ? p.chain.join(' → ') : 'none');

/**
 * Why a disposable of `template` must not serve `source`, or null when it may. Only anonymous
 * sources are restricted; an unknown source or template is refused (fail closed).
 */
export function dispvmRefusal(sys: SystemView, source: string, template: string): string | null {
  const s = sys.qubes.get(source);
  return s ? dispvmRefusalFor(sys, s, template) : `no qube named '${source}'`;
}

/** dispvmRefusal for a record that may not be stored yet (a qube being created or changed). */
export function dispvmRefusalFor(sys: SystemView, s: QubeRecord, template: string): string | null {
  const source = s.name;
  if (!isAnonymous(sys, s)) return null;
  const t = sys.qubes.get(template);
  if (!t) return `no disposable template named '${template}'`;
  const p = netPath(sys, t);
  if (p.reach === 'clearnet') {
    return (
      `'${source}' is anonymous (behind a gateway) but disposables of '${template}' would go out in clearnet (netvm chain ${showChain(p)}); ` +
      'use a disposable template whose netvm is a gateway, or none'
    );
  }
  return null;
}

/** Throws ERR_OFF_TOR when `source` may not get a disposable of `template`. */
export function checkDispvmFor(sys: SystemView, source: string, template: string, field = '@dispvm'): void {
  const why = dispvmRefusal(sys, source, template);
  if (why) throw new BulkheadError('ERR_OFF_TOR', `${field}: ${why}`, { field });
}

export interface TorViolation {
  /** Stable identity, so a change is judged only by the violations it adds. */
  key: string;
  message: string;
}

/** Every place the rule is broken in one system: workstations on clearnet, anonymous qubes with clearnet disposables. */
export function torViolations(sys: SystemView): TorViolation[] {
  const out: TorViolation[] = [];
  for (const q of sys.qubes.values()) {
    const p = netPath(sys, q);
    if (isWorkstationTagged(q) && p.reach === 'clearnet') {
      out.push({ key: `net:${q.name}`, message: `workstation '${q.name}' (tag anon-vm) would reach clearnet (netvm chain ${showChain(p)})` });
    }
    if (!isWorkstationTagged(q) && p.reach !== 'tor') continue;
    const dd = effective(q, 'default_dispvm', sys);
    if (typeof dd !== 'string') continue;
    const why = dispvmRefusalFor(sys, q, dd);
    if (why) out.push({ key: `dispvm:${q.name}`, message: `default_dispvm ${why}` });
  }
  return out;
}

/**
 * What a change from `before` to `after` would break: a qube behind a gateway that would leave
 * it for clearnet, and violations of the rule that `after` has and `before` had not (an old
 * system that already breaks the rule can still be repaired one step at a time).
 */
export function torViolationsAdded(before: SystemView, after: SystemView): TorViolation[] {
  const out: TorViolation[] = [];
  for (const q of after.qubes.values()) {
    const old = before.qubes.get(q.name);
    if (!old || netPath(before, old).reach !== 'tor') continue;
    const p = netPath(after, q);
    if (p.reach === 'clearnet') out.push({ key: `left:${q.name}`, message: `'${q.name}' would leave Tor for clearnet (netvm chain ${showChain(p)})` });
  }
  const had = new Set(torViolations(before).map((v) => v.key));
  for (const v of torViolations(after)) if (!had.has(v.key)) out.push(v);
  return out;
}

/** Throws ERR_OFF_TOR naming `field` (the property or target changed) when the change takes any qube or its disposables off Tor. */
export function checkStaysOnTor(before: SystemView, after: SystemView, field: string): void {
  const added = torViolationsAdded(before, after);
  if (added.length) {
    throw new BulkheadError('ERR_OFF_TOR', `${field}: refused, it would take anonymous qubes off Tor: ${added.map((v) => v.message).join('; ')}`, { field });
  }
}

/** A system view with one qube replaced (for judging a change before it is stored). */
export function withQube(sys: SystemView, q: QubeRecord): SystemView {
  return { qubes: new Map([...sys.qubes, [q.name, q]]), globals: sys.globals };
}
