// Precompiled matchers for the source and target fields of a rule.
import { lookup, type PolicyQube, type SystemView } from './system.js';
import type { Intended } from './intended.js';
import type { Token } from './types.js';

export type SourceMatcher = (src: PolicyQube, sys: SystemView) => boolean;
export type TargetMatcher = (it: Intended, src: PolicyQube, sys: SystemView) => boolean;

const isAdmin = (it: Intended): boolean => it.kind === 'adminvm' || (it.kind === 'qube' && it.q.admin);

/** Name of the qube a `uuid:` or name reference points to (names need not exist). */
function refName(sys: SystemView, ref: string): string | undefined {
  return ref.startsWith('uuid:') ? sys.byUuid.get(ref.slice(5).toLowerCase()) : ref;
}

export function compileSource(t: Token): SourceMatcher {
  switch (t.kind) {
    case 'wildcard':
      return () => true;
    case 'anyvm':
      return (s) => !s.admin;
    case 'adminvm':
      return (s) => s.admin;
    case 'name': {
      const n = t.name;
      return (s) => s.name === n;
    }
    case 'uuid': {
      const u = `uuid:${t.uuid}`;
      return (s, sys) => refName(sys, u) === s.name;
    }
    case 'type': {
      const v = t.value;
      return (s) => s.qubesType === v;
    }
    case 'tag': {
      const v = t.value;
      return (s) => s.tags.has(v);
    }
    // A source is always a running qube, never a disposable keyword: Qubes never matches these.
    case 'dispvm-template':
    case 'dispvm-tag':
    case 'default':
    case 'dispvm':
      return () => false;
  }
}

export function compileTarget(t: Token): TargetMatcher {
  switch (t.kind) {
    case 'wildcard':
      return () => true;
    case 'anyvm':
      return (it) => !isAdmin(it);
    case 'adminvm':
      return (it) => isAdmin(it);
    case 'default':
      return (it) => it.kind === 'default';
    case 'dispvm':
      return (it) => it.kind === 'dispvm';
    case 'name': {
      const n = t.name;
      return (it) => it.kind === 'qube' && it.q.name === n;
    }
    case 'uuid': {
      const u = `uuid:${t.uuid}`;
      return (it, _s, sys) => {
        const q = lookup(sys, u);
        if (!q) return false;
        return (it.kind === 'qube' && it.q.name === q.name) || (it.kind === 'adminvm' && q.admin);
      };
    }
    case 'type': {
      const v = t.value;
      return (it) => it.kind === 'qube' && it.q.qubesType === v;
    }
    case 'tag': {
      const v = t.value;
      return (it) => it.kind === 'qube' && it.q.tags.has(v);
    }
    case 'dispvm-template': {
      const ref = t.ref;
      return (it, src, sys) => {
        const want = refName(sys, ref);
        if (want === undefined) return false;
        if (it.kind === 'dispvm-template') return it.q.name === want;
        if (it.kind === 'dispvm' && src.defaultDispvm !== null) return refName(sys, src.defaultDispvm) === want;
        return false;
      };
    }
    case 'dispvm-tag': {
      const v = t.value;
      return (it, src, sys) => {
        let tpl: PolicyQube | undefined;
        if (it.kind === 'dispvm-template') tpl = it.q;
        else if (it.kind === 'dispvm' && src.defaultDispvm !== null) tpl = lookup(sys, src.defaultDispvm);
        return tpl !== undefined && tpl.dispvmTemplate && tpl.tags.has(v);
      };
    }
  }
}
