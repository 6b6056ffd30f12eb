// Builds the list of targets an `ask` offers, walking the matching rules backwards as Qubes does.
import type { CompiledRule } from './compile.js';
import { lookup, type PolicyQube, type SystemView } from './system.js';
import type { Token } from './types.js';

const expansions = new WeakMap<SystemView, Map<Token, readonly string[]>>();

/** expandToken, remembered per snapshot (both the snapshot and the rule's token are immutable). */
function expandCached(sys: SystemView, t: Token): readonly string[] {
  let m = expansions.get(sys);
  if (!m) {
    m = new Map();
    expansions.set(sys, m);
  }
  let e = m.get(t);
  if (!e) {
    e = expandToken(sys, t);
    m.set(t, e);
  }
  return e;
}

/** Every target a token could stand for (Qubes' `expand`); keywords `@dispvm`/`@adminvm` stay as words. */
export function expandToken(sys: SystemView, t: Token): string[] {
  const names = (keep: (q: PolicyQube) => boolean): string[] => sys.list.filter(keep).map((q) => q.name);
  const templates = (keep: (q: PolicyQube) => boolean): string[] => sys.list.filter((q) => q.dispvmTemplate && keep(q)).map((q) => `@dispvm:${q.name}`);
  switch (t.kind) {
    case 'name':
    case 'uuid': {
      const q = lookup(sys, t.kind === 'name' ? t.name : `uuid:${t.uuid}`);
      return q ? [q.name] : [];
    }
    case 'wildcard':
      return [...names(() => true), ...templates(() => true), '@dispvm'];
    case 'anyvm':
      return [...names((q) => !q.admin), ...templates(() => true), '@dispvm'];
    case 'adminvm':
      return ['@adminvm'];
    case 'default':
      return [];
    case 'type':
      return names((q) => q.qubesType === t.value);
    case 'tag':
      return names((q) => q.tags.has(t.value));
    case 'dispvm':
      return ['@dispvm'];
    case 'dispvm-template': {
      const q = lookup(sys, t.ref);
      return q && q.dispvmTemplate ? [`@dispvm:${q.name}`] : [];
    }
    case 'dispvm-tag':
      return templates((q) => q.tags.has(t.value));
  }
}

const offerable = new WeakMap<SystemView, Map<string, boolean>>();

/** Does this candidate name an existing, non-internal qube (or disposable of one)? Remembered per snapshot. */
function canOffer(sys: SystemView, c: string): boolean {
  let m = offerable.get(sys);
  if (!m) {
    m = new Map();
    offerable.set(sys, m);
  }
  let ok = m.get(c);
  if (ok === undefined) {
    const q = sys.qubes.get(c.startsWith('@dispvm:') ? c.slice(8) : c);
    ok = q !== undefined && !q.internal;
    m.set(c, ok);
  }
  return ok;
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Replaces the keywords, then drops the source, internal qubes and whatever does not exist. */
export function finishCandidates(sys: SystemView, source: PolicyQube, raw: Iterable<string>): string[] {
  const out = new Set<string>();
  for (let c of raw) {
    if (c === '@dispvm') {
      if (source.defaultDispvm === null) continue;
      c = `@dispvm:${lookup(sys, source.defaultDispvm)?.name ?? source.defaultDispvm}`;
    } else if (c === '@adminvm') c = 'dom0';
    if (c === source.name || !canOffer(sys, c)) continue;
    out.add(c);
  }
  return [...out].sort(byCodeUnit);
}

const collected = new WeakMap<readonly CompiledRule[], WeakMap<SystemView, Map<string, readonly string[]>>>();
const MAX_REMEMBERED = 4096;

/**
 * collectCandidates remembered per (policy rules of a service, snapshot, source, argument): all four are
 * immutable, so the answer cannot change; the memory is bounded.
 */
export function candidatesFor(sys: SystemView, source: PolicyQube, rules: readonly CompiledRule[], argument: string): readonly string[] {
  let perSys = collected.get(rules);
  if (!perSys) {
    perSys = new WeakMap();
    collected.set(rules, perSys);
  }
  let m = perSys.get(sys);
  if (!m) {
    m = new Map();
    perSys.set(sys, m);
  }
  const key = `${source.name}\0${argument}`;
  let hit = m.get(key);
  if (!hit) {
    if (m.size >= MAX_REMEMBERED) m.clear();
    hit = Object.freeze(collectCandidates(sys, source, rules, argument));
    m.set(key, hit);
  }
  return hit;
}

/** Qubes' collect_targets_for_ask: later rules first; a deny takes away, an allow or ask adds. */
export function collectCandidates(sys: SystemView, source: PolicyQube, rules: readonly CompiledRule[], argument: string): string[] {
  const set = new Set<string>();
  for (let i = rules.length - 1; i >= 0; i--) {
    const c = rules[i]!;
    if (c.argument !== null && c.argument !== argument) continue;
    if (!c.source(source, sys)) continue;
    const a = c.rule.action;
    const tok = a.name !== 'deny' && a.target !== null ? a.target : c.rule.target;
    const exp = expandCached(sys, tok);
    if (a.name === 'deny') for (const e of exp) set.delete(e);
    else for (const e of exp) set.add(e);
  }
  return finishCandidates(sys, source, set);
}
