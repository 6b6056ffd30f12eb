// Resolves what a caller asked for (and redirect targets) against the system, as Qubes' IntendedTarget does.
import { lookup, type PolicyQube, type SystemView } from './system.js';
import { parseToken } from './tokens.js';
import type { Token } from './types.js';

/** A resolved call target. */
export type Intended =
  { kind: 'qube'; q: PolicyQube } | { kind: 'adminvm' } | { kind: 'default' } | { kind: 'dispvm' } | { kind: 'dispvm-template'; q: PolicyQube };

/** Resolves a token that names a target; a qube that does not exist becomes `@default`. */
export function resolveTargetToken(sys: SystemView, t: Token): Intended | string {
  switch (t.kind) {
    case 'name':
    case 'uuid': {
      const q = lookup(sys, t.kind === 'name' ? t.name : `uuid:${t.uuid}`);
      return q ? { kind: 'qube', q } : { kind: 'default' };
    }
    case 'adminvm':
      return { kind: 'adminvm' };
    case 'default':
      return { kind: 'default' };
    case 'dispvm':
      return { kind: 'dispvm' };
    case 'dispvm-template': {
      const q = lookup(sys, t.ref);
      if (!q || !q.dispvmTemplate) return `not a template for disposables: ${t.ref}`;
      return { kind: 'dispvm-template', q };
    }
    default:
      return `not a valid call target: ${t.kind}`;
  }
}

/** The requested target of a call; '' is `@default`; the literal `dom0` names the admin qube by name. */
export function resolveRequested(sys: SystemView, untrusted: string): Intended | string {
  if (untrusted === '') return { kind: 'default' };
  if (untrusted === 'dom0') {
    const q = sys.qubes.get('dom0');
    return q ? { kind: 'qube', q } : { kind: 'adminvm' };
  }
  const t = parseToken(untrusted, 'requested');
  if (typeof t === 'string') return t;
  return resolveTargetToken(sys, t);
}

/** How the target appears in a decision: a qube name, `dom0`, or `@dispvm:TEMPLATE`. */
export function targetName(sys: SystemView, source: PolicyQube, it: Intended): string | null {
  switch (it.kind) {
    case 'qube':
      return it.q.name;
    case 'adminvm':
      return 'dom0';
    case 'dispvm-template':
      return `@dispvm:${it.q.name}`;
    case 'dispvm':
      return source.defaultDispvm === null ? null : `@dispvm:${lookup(sys, source.defaultDispvm)?.name ?? source.defaultDispvm}`;
    case 'default':
      return null;
  }
}
