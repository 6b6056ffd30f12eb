// Parses and prints one firewall rule line (`action=accept dsthost=… proto=tcp dstports=80 comment=…`).
import { parseAddress, formatAddress } from './ip.js';
import { FirewallRuleError, type DstHost, type FirewallRule, type RuleField } from './types.js';

export interface ParseOptions {
  /** Unix seconds; needed to resolve a relative `expire=+N`. */
  now?: number;
}

const MAX_RULE = 1024;
const MAX_COMMENT = 256;
/** Latest accepted expiry: 9999-12-31T23:59:59Z. */
const MAX_EXPIRE = 253402300799;
/** Characters a comment may hold (Qubes' set, plus space). */
const COMMENT_RE = /^[A-Za-z0-9:;,./\-_[\] ]*$/;
const NAME_LABEL_RE = /^[a-z0-9_-]{1,63}$/;

/** Keys accepted in rule text; dst4/dst6/dstname are Qubes' spellings of dsthost. */
const KEYS: Record<string, RuleField> = {
  action: 'action',
  dsthost: 'dsthost',
  dst4: 'dsthost',
  dst6: 'dsthost',
  dstname: 'dsthost',
  proto: 'proto',
  dstports: 'dstports',
  icmptype: 'icmptype',
  specialtarget: 'specialtarget',
  expire: 'expire',
  comment: 'comment',
};

function fail(field: string, reason: string): never {
  throw new FirewallRuleError(field, reason);
}

function parseDstHost(key: string, untrusted: string): DstHost {
  const slash = untrusted.indexOf('/');
  if (slash >= 0) {
    const untrustedHost = untrusted.slice(0, slash);
    const untrustedLen = untrusted.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(untrustedLen)) fail(key, `prefix length '${untrustedLen}' is not a number`);
    const prefix = Number(untrustedLen);
    const addr = parseAddress(untrustedHost);
    if (!addr) fail(key, `'${untrustedHost}' is not an IPv4 or IPv6 address (a prefix needs an address)`);
    const full = addr.family === 4 ? 32 : 128;
    if (prefix > full) fail(key, `prefix length for IPv${addr.family} must be 0..${full}`);
    checkFamily(key, addr.family);
    const text = formatAddress(addr.family, addr.bytes) + (prefix === full ? '' : `/${prefix}`);
    return { kind: 'ip', text, family: addr.family, bytes: addr.bytes, prefix };
  }
  const addr = parseAddress(untrusted);
  if (addr) {
    checkFamily(key, addr.family);
    const prefix = addr.family === 4 ? 32 : 128;
    return { kind: 'ip', text: formatAddress(addr.family, addr.bytes), family: addr.family, bytes: addr.bytes, prefix };
  }
  if (key === 'dst4' || key === 'dst6') fail(key, `'${untrusted}' is not an IPv${key === 'dst4' ? 4 : 6} address`);
  if (untrusted.includes(':')) fail(key, `'${untrusted}' is not a valid IPv6 address`);
  if (/^[0-9.]+$/.test(untrusted)) fail(key, `'${untrusted}' is not a valid IPv4 address`);
  if (untrusted.length > 253) fail(key, 'host name longer than 253 characters');
  const labels = untrusted.split('.');
  for (const l of labels) {
    if (!NAME_LABEL_RE.test(l)) {
      fail(key, `'${untrusted}' is not an address or a host name (names use a-z 0-9 - _ and dots, each label 1..63)`);
    }
  }
  return { kind: 'name', text: untrusted, name: untrusted };
}

function checkFamily(key: string, family: 4 | 6): void {
  if (key === 'dst4' && family !== 4) fail(key, 'dst4 needs an IPv4 address');
  if (key === 'dst6' && family !== 6) fail(key, 'dst6 needs an IPv6 address');
  if (key === 'dstname') fail(key, 'dstname needs a host name, not an address');
}

function parsePort(key: string, untrusted: string): number {
  if (!/^[0-9]{1,5}$/.test(untrusted)) fail(key, `'${untrusted}' is not a port number`);
  const n = Number(untrusted);
  if (n < 1 || n > 65535) fail(key, `port ${n} is out of range 1..65535`);
  return n;
}

function parseExpire(untrusted: string, now: number | undefined): number {
  const m = /^(\+?)([0-9]{1,12})$/.exec(untrusted);
  if (!m) fail('expire', `'${untrusted}' is not unix seconds or +seconds`);
  const n = Number(m[2]);
  let at = n;
  if (m[1] === '+') {
    if (now === undefined) fail('expire', 'a relative expire (+seconds) needs the current time');
    if (n < 1) fail('expire', '+seconds must be at least 1');
    at = Math.floor(now) + n;
  }
  if (at > MAX_EXPIRE) fail('expire', 'expiry is after year 9999');
  return at;
}

/** Parses one rule line. Throws FirewallRuleError naming the field and the reason. */
export function parseRule(untrustedText: string, opts: ParseOptions = {}): FirewallRule {
  if (typeof untrustedText !== 'string') fail('rule', 'not a string');
  if (untrustedText.length > MAX_RULE) fail('rule', `longer than ${MAX_RULE} characters`);
  if (/[\r\n\0]/.test(untrustedText)) fail('rule', 'a rule is one line');
  const text = untrustedText.replace(/^[ \t]+|[ \t]+$/g, '');
  if (text === '') fail('rule', 'empty rule');

  const seen = new Set<RuleField>();
  const rule: Partial<FirewallRule> = {};
  let rest = text;
  while (rest !== '') {
    const m = /^[^ \t]*/.exec(rest);
    const token = m ? m[0] : '';
    if (token.startsWith('comment=')) {
      // the comment takes the rest of the line, spaces included
      const untrustedComment = rest.slice('comment='.length);
      if (untrustedComment === '') fail('comment', 'empty comment');
      if (untrustedComment.length > MAX_COMMENT) fail('comment', `longer than ${MAX_COMMENT} characters`);
      if (!COMMENT_RE.test(untrustedComment)) {
        fail('comment', 'may hold only letters, digits, spaces and : ; , . / - _ [ ]');
      }
      if (seen.has('comment')) fail('comment', 'given twice');
      seen.add('comment');
      rule.comment = untrustedComment;
      break;
    }
    rest = rest.slice(token.length).replace(/^[ \t]+/, '');
    const eq = token.indexOf('=');
    if (eq <= 0) fail(token.slice(0, 40) || 'rule', 'expected key=value');
    const key = token.slice(0, eq);
    const untrustedValue = token.slice(eq + 1);
    const field = KEYS[key];
    if (field === undefined) fail(key.slice(0, 40), 'unknown option');
    if (seen.has(field)) fail(key, field === key ? 'given twice' : `given twice (${key} is dsthost)`);
    seen.add(field);
    if (untrustedValue === '') fail(key, 'empty value');
    switch (field) {
      case 'action':
        if (untrustedValue !== 'accept' && untrustedValue !== 'drop') fail(key, 'must be accept or drop');
        rule.action = untrustedValue;
        break;
      case 'dsthost':
        rule.dsthost = parseDstHost(key, untrustedValue);
        break;
      case 'proto':
        if (untrustedValue !== 'tcp' && untrustedValue !== 'udp' && untrustedValue !== 'icmp') {
          fail(key, 'must be tcp, udp or icmp');
        }
        rule.proto = untrustedValue;
        break;
      case 'dstports': {
        const parts = untrustedValue.split('-');
        if (parts.length > 2) fail(key, `'${untrustedValue}' is not N or N-M`);
        const from = parsePort(key, parts[0] as string);
        const to = parts.length === 2 ? parsePort(key, parts[1] as string) : from;
        if (from > to) fail(key, `range ${from}-${to} is reversed`);
        rule.dstports = { from, to };
        break;
      }
      case 'icmptype':
        if (!/^[0-9]{1,3}$/.test(untrustedValue) || Number(untrustedValue) > 255) fail(key, 'must be a number 0..255');
        rule.icmptype = Number(untrustedValue);
        break;
      case 'specialtarget':
        if (untrustedValue !== 'dns') fail(key, 'only dns is supported');
        rule.specialtarget = 'dns';
        break;
      case 'expire':
        rule.expire = parseExpire(untrustedValue, opts.now);
        break;
      default:
        fail(key, 'unknown option');
    }
  }
  return checkRule(rule);
}

/** Cross-field checks: what needs what, and what conflicts. */
function checkRule(rule: Partial<FirewallRule>): FirewallRule {
  if (rule.action === undefined) fail('action', 'missing (every rule needs action=accept or action=drop)');
  if (rule.dstports && rule.proto !== 'tcp' && rule.proto !== 'udp') fail('dstports', 'needs proto=tcp or proto=udp');
  if (rule.icmptype !== undefined && rule.proto !== 'icmp') fail('icmptype', 'needs proto=icmp');
  if (rule.specialtarget === 'dns') {
    if (rule.dsthost) fail('specialtarget', 'dns already names the destination; remove dsthost');
    if (rule.proto === 'icmp') fail('specialtarget', 'dns is tcp/udp port 53; cannot be combined with proto=icmp');
    if (rule.dstports && (rule.dstports.from !== 53 || rule.dstports.to !== 53)) {
      fail('specialtarget', 'dns is port 53; cannot be combined with other dstports');
    }
  }
  return rule as FirewallRule;
}

/** The canonical text of a rule; parseRule(formatRule(r)) equals r. */
export function formatRule(rule: FirewallRule): string {
  const parts = [`action=${rule.action}`];
  if (rule.dsthost) parts.push(`dsthost=${rule.dsthost.text}`);
  if (rule.proto) parts.push(`proto=${rule.proto}`);
  if (rule.dstports) {
    const { from, to } = rule.dstports;
    parts.push(`dstports=${from === to ? from : `${from}-${to}`}`);
  }
  if (rule.icmptype !== undefined) parts.push(`icmptype=${rule.icmptype}`);
  if (rule.specialtarget) parts.push(`specialtarget=${rule.specialtarget}`);
  if (rule.expire !== undefined) parts.push(`expire=${rule.expire}`);
  if (rule.comment !== undefined) parts.push(`comment=${rule.comment}`);
  return parts.join(' ');
}

/** Parses stored rule lines; errors carry the 1-based line number. Blank lines and `#` lines are skipped. */
export function parseRuleSet(lines: readonly string[], opts: ParseOptions = {}): FirewallRule[] {
  const out: FirewallRule[] = [];
  lines.forEach((line, i) => {
    if (/^[ \t]*(#.*)?$/.test(line)) return;
    try {
      out.push(parseRule(line, opts));
    } catch (e) {
      if (e instanceof FirewallRuleError) throw new FirewallRuleError(e.field, e.reason, i + 1);
      throw e;
    }
  });
  return out;
}
