// Builds the list of targets an `ask` offers, walking the matching rules backwards as Qubes does.
import type { CompiledRule } from './compile.js';
import { lookup, type QubeView, type SystemView } from './system.js';
import type { Token } from './types.js';

/** Every target a token could stand for (Qubes' `expand`); keywords `@dispvm`/`@adminvm` stay as words. */
export function expandToken(sys: SystemView, t: Token): string[] {
  const names = (keep: (q: QubeView) => boolean): string[] => sys.list.filter(keep).map((q) => q.name);
  const templates = (keep: (q: QubeView) => boolean): string[] =>
    sys.list.filter((q) => q.dispvmTemplate && keep(q)).map((q) => `@dispvm:${q.name}`);
  switch (t.kind) {
    case 'name':
    case 'uuid': {
      const q = lookup(sys, t.kind === 'name' ? t.name : `uuid:${t.uuid}`);
      return q ? [q.name] : [];
    }
    case 'wildcard': return [...names(() => true), ...templates(() => true), '@dispvm'];
    case 'anyvm': return [...names((q) => !q.admin), ...templates(() => true), '@dispvm'];
    case 'adminvm': return ['@adminvm'];
    case 'default': return [];
    case 'type': return names((q) => q.qubesType === t.value);
    case 'tag': return names((q) => q.tags.has(t.value));
    case 'dispvm': return ['@dispvm'];
    case 'dispvm-template': {
      const q = lookup(sys, t.ref);
      return q && q.dispvmTemplate ? [`@dispvm:${q.name}`] : [];
    }
    case 'dispvm-tag': return templates((q) => q.tags.has(t.value));
  }
}

/** Replaces the keywords, then drops the source, internal qubes and whatever does not exist. */
export function finishCandidates(sys: SystemView, source: QubeView, raw: Iterable<string>): string[] {
  const out = new Set<string>();
  for (let c of raw) {
    if (c === '@dispvm') {
      if (source.defaultDispvm === null) continue;
      c = `@dispvm:${lookup(sys, source.defaultDispvm)?.name ?? source.defaultDispvm}`;
    } else if (c === '@adminvm') c = 'dom0';
    const name = c.startsWith('@dispvm:') ? c.slice(8) : c;
    const q = sys.qubes.get(name);
    if (!q || q.internal || c === source.name) continue;
    out.add(c);
  }
  return [...out].sort();
}

/** Qubes' collect_targets_for_ask: later rules first; a deny takes away, an allow or ask adds. */
export function collectCandidates(
  sys: SystemView, source: QubeView, rules: readonly CompiledRule[], argument: string,
): string[] {
  const set = new Set<string>();
  for (let i = rules.length - 1; i >= 0; i--) {
    const c = rules[i]!;
    if (c.argument !== null && c.argument !== argument) continue;
    if (!c.source(source, sys)) continue;
    const a = c.rule.action;
    const tok = a.name !== 'deny' && a.target !== null ? a.target : c.rule.target;
    const exp = expandToken(sys, tok);
    if (a.name === 'deny') for (const e of exp) set.delete(e);
    else for (const e of exp) set.add(e);
  }
  return finishCandidates(sys, source, set);
}
