// Turns a policy field into a token, accepting only the tokens legal in that place (as Qubes does).
import type { Token, TokenPlace } from './types.js';

type Kind = Token['kind'];

/** Which token kinds each place accepts; literal names and `uuid:` are legal everywhere. */
const LEGAL: Record<TokenPlace, ReadonlySet<Kind>> = {
  source: new Set<Kind>(['name', 'uuid', 'wildcard', 'adminvm', 'anyvm', 'type', 'tag', 'dispvm-template', 'dispvm-tag']),
  target: new Set<Kind>(['name', 'uuid', 'wildcard', 'adminvm', 'anyvm', 'default', 'type', 'tag', 'dispvm', 'dispvm-template', 'dispvm-tag']),
  redirect: new Set<Kind>(['name', 'uuid', 'adminvm', 'dispvm', 'dispvm-template']),
  requested: new Set<Kind>(['name', 'uuid', 'adminvm', 'default', 'dispvm', 'dispvm-template']),
};

const EXACT: Record<string, Token> = {
  '*': { kind: 'wildcard' },
  '@adminvm': { kind: 'adminvm' },
  '@anyvm': { kind: 'anyvm' },
  '@default': { kind: 'default' },
  '@dispvm': { kind: 'dispvm' },
};

/** Longer prefixes first, so `@dispvm:@tag:` wins over `@dispvm:`. */
const PREFIXES: ReadonlyArray<[string, (v: string) => Token]> = [
  ['@dispvm:@tag:', (value) => ({ kind: 'dispvm-tag', value })],
  ['@dispvm:', (ref) => ({ kind: 'dispvm-template', ref })],
  ['@type:', (value) => ({ kind: 'type', value })],
  ['@tag:', (value) => ({ kind: 'tag', value })],
];

const PLACE_WORD: Record<TokenPlace, string> = {
  source: 'source',
  target: 'target',
  redirect: 'redirect',
  requested: 'requested target',
};

/** Parse `untrusted` for `place`; returns the token or an error message. */
export function parseToken(untrusted: string, place: TokenPlace): Token | string {
  if (untrusted === '') return `invalid empty ${PLACE_WORD[place]} token`;
  const tok = classify(untrusted);
  if (typeof tok === 'string') return `invalid ${PLACE_WORD[place]} token: '${untrusted}' (${tok})`;
  if (!LEGAL[place].has(tok.kind)) return `invalid ${PLACE_WORD[place]} token: '${untrusted}' (not allowed here)`;
  return tok;
}

function classify(text: string): Token | string {
  if (text === 'dom0') return { kind: 'adminvm' };
  const exact = EXACT[text];
  if (exact) return exact;
  if (text.startsWith('uuid:')) {
    const uuid = text.slice(5);
    return uuid === '' ? 'empty uuid' : { kind: 'uuid', uuid };
  }
  if (!text.startsWith('@')) return { kind: 'name', name: text };
  for (const [prefix, make] of PREFIXES) {
    if (!text.startsWith(prefix)) continue;
    const value = text.slice(prefix.length);
    if (value === '') return `empty ${prefix} token`;
    if (value.startsWith('@')) return 'unknown keyword';
    if (prefix === '@dispvm:' && value.startsWith('uuid:') && value.length === 5) return 'empty uuid';
    return make(value);
  }
  return 'unknown keyword';
}

/** The token as policy text (for messages and the `rule` field). */
export function tokenText(t: Token): string {
  switch (t.kind) {
    case 'name':
      return t.name;
    case 'uuid':
      return `uuid:${t.uuid}`;
    case 'wildcard':
      return '*';
    case 'adminvm':
      return '@adminvm';
    case 'anyvm':
      return '@anyvm';
    case 'default':
      return '@default';
    case 'type':
      return `@type:${t.value}`;
    case 'tag':
      return `@tag:${t.value}`;
    case 'dispvm':
      return '@dispvm';
    case 'dispvm-template':
      return `@dispvm:${t.ref}`;
    case 'dispvm-tag':
      return `@dispvm:@tag:${t.value}`;
  }
}
