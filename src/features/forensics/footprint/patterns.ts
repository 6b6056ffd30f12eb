// Footprint patterns as regular expressions, and which entry a path under the state directory belongs to (pure).
import type { Artefact } from './types.js';

const SEGMENT = '[^/]+';

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The regular expression of one pattern: placeholders are one segment, a trailing `/**` any depth below. */
export function patternRegExp(pattern: string): RegExp {
  const tree = pattern.endsWith('/**');
  const base = tree ? pattern.slice(0, -3) : pattern;
  const body = base
    .split(/(\{[a-z]+\}|\*)/)
    .map((part) => (/^\{[a-z]+\}$/.test(part) ? SEGMENT : part === '*' ? '[^/]*' : escape(part)))
    .join('');
  return new RegExp(`^${body}${tree ? '/.+' : ''}$`);
}

export interface Matcher {
  /** The first entry whose pattern matches `rel` (a path relative to the state directory), or null. */
  match(rel: string): Artefact | null;
}

/** Matches paths of the state directory against the state-scope entries, most specific first (table order). */
export function stateMatcher(table: readonly Artefact[]): Matcher {
  const compiled = table.filter((a) => a.scope === 'state').map((a) => ({ a, re: patternRegExp(a.pattern) }));
  return {
    match(rel) {
      for (const c of compiled) if (c.re.test(rel)) return c.a;
      return null;
    },
  };
}

/** A pattern with its placeholders filled in (`{qube}` → a name); unknown placeholders stay. */
export function fillPattern(pattern: string, values: Record<string, string>): string {
  return pattern.replace(/\{([a-z]+)\}/g, (m, k: string) => values[k] ?? m);
}
