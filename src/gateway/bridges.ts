// Bridge lines a gateway's tor may use: obfs4 or plain bridges, validated strictly, errors naming the line and field.
import { BulkheadError } from '../errors/index.js';

/** Most bridge lines one gateway keeps, and the longest line accepted (the admin chooses them, but bound them anyway). */
export const MAX_BRIDGES = 64;
export const MAX_BRIDGE_LINE = 2048;

export interface Bridge {
  /** `obfs4` or `plain` (a bridge reached by tor's own protocol, no transport). */
  transport: 'obfs4' | 'plain';
  /** `IPv4:PORT` or `[IPv6]:PORT` as written into the torrc. */
  address: string;
  /** 40 upper-case hex digits; optional for plain bridges. */
  fingerprint?: string;
  /** The line as written after `Bridge ` in the torrc. */
  line: string;
}

function bad(where: string, field: string, msg: string): BulkheadError {
  return new BulkheadError('ERR_INVALID_VALUE', `${where}: ${field}: ${msg}`);
}

function ipv4(s: string): boolean {
  const p = s.split('.');
  return p.length === 4 && p.every((x) => /^(0|[1-9][0-9]{0,2})$/.test(x) && Number(x) <= 255);
}

/** IPv6 in brackets' content: hex groups, at most one `::`, or an IPv4 tail. */
function ipv6(s: string): boolean {
  if (!/^[0-9A-Fa-f:.]{2,45}$/.test(s)) return false;
  const dbl = s.split('::');
  if (dbl.length > 2) return false;
  let groups = 0;
  for (const half of dbl) {
    if (half === '') continue;
    const parts = half.split(':');
    for (let i = 0; i < parts.length; i++) {
      const g = parts[i]!;
      if (i === parts.length - 1 && half === dbl[dbl.length - 1] && g.includes('.')) {
        if (!ipv4(g)) return false;
        groups += 2;
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(g)) groups++;
      else return false;
    }
  }
  return dbl.length === 2 ? groups <= 7 : groups === 8;
}

function address(where: string, v: string): string {
  const m = /^(?:\[([^\]]*)\]|([^:\[\]]*)):(\d{1,5})$/.exec(v);
  if (!m) throw bad(where, 'address', `'${v}' is not IPv4:PORT or [IPv6]:PORT`);
  const [, v6, v4, p] = m;
  if (v6 !== undefined ? !ipv6(v6) : !ipv4(v4!)) throw bad(where, 'address', `'${v6 ?? v4}' is not an ${v6 !== undefined ? 'IPv6' : 'IPv4'} address`);
  const port = Number(p);
  if (!/^[1-9]\d*$/.test(p!) || port > 65535) throw bad(where, 'port', `'${p}' is not a port 1-65535`);
  return v6 !== undefined ? `[${v6.toLowerCase()}]:${port}` : `${v4}:${port}`;
}

function fingerprint(where: string, v: string): string {
  if (!/^[0-9A-Fa-f]{40}$/.test(v)) throw bad(where, 'fingerprint', `'${v}' is not 40 hex digits`);
  return v.toUpperCase();
}

/** obfs4's cert: base64 (standard alphabet), unpadded as obfs4 prints it or correctly padded. */
function cert(where: string, v: string | undefined): string {
  const m = /^cert=(.*)$/.exec(v ?? '');
  if (!m) throw bad(where, 'cert', `expected cert=BASE64, got '${v ?? ''}'`);
  const b = m[1]!;
  const ok = /^[A-Za-z0-9+/]+={0,2}$/.test(b) && b.length % 4 !== 1 && (!b.includes('=') || b.length % 4 === 0);
  if (!ok) throw bad(where, 'cert', `'${b}' is not base64`);
  return `cert=${b}`;
}

function iatMode(where: string, v: string | undefined): string {
  if (!/^iat-mode=[012]$/.test(v ?? '')) throw bad(where, 'iat-mode', `expected iat-mode=0, 1 or 2, got '${v ?? ''}'`);
  return v!;
}

/**
 * One bridge line (`Bridge ` prefix optional): `obfs4 ADDR:PORT FINGERPRINT cert=BASE64 iat-mode=0|1|2`
 * or `ADDR:PORT [FINGERPRINT]`. `where` names the line in errors (`line 3`).
 */
export function parseBridgeLine(untrusted: unknown, where: string): Bridge {
  if (typeof untrusted !== 'string') throw bad(where, 'line', 'must be a string');
  if (untrusted.length > MAX_BRIDGE_LINE) throw bad(where, 'line', `longer than ${MAX_BRIDGE_LINE} characters`);
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(untrusted)) throw bad(where, 'line', 'must not contain control characters or line breaks');
  const words = untrusted
    .trim()
    .replace(/^Bridge(?:\s+|$)/, '')
    .split(/[ \t]+/)
    .filter(Boolean);
  if (words.length === 0) throw bad(where, 'line', 'is empty');
  if (words[0] === 'obfs4') {
    if (words.length !== 5) throw bad(where, 'line', `an obfs4 bridge is 'obfs4 ADDR:PORT FINGERPRINT cert=BASE64 iat-mode=N' (5 words, got ${words.length})`);
    const addr = address(where, words[1]!);
    const fp = fingerprint(where, words[2]!);
    const line = ['obfs4', addr, fp, cert(where, words[3]), iatMode(where, words[4])].join(' ');
    return { transport: 'obfs4', address: addr, fingerprint: fp, line };
  }
  if (/^[a-z][a-z0-9_]*$/.test(words[0]!) && !words[0]!.includes(':')) {
    throw bad(where, 'transport', `'${words[0]}' is not supported (obfs4, or a plain ADDR:PORT bridge)`);
  }
  if (words.length > 2) throw bad(where, 'line', `a plain bridge is 'ADDR:PORT [FINGERPRINT]' (got ${words.length} words)`);
  const addr = address(where, words[0]!);
  const fp = words[1] === undefined ? undefined : fingerprint(where, words[1]);
  return { transport: 'plain', address: addr, ...(fp ? { fingerprint: fp } : {}), line: fp ? `${addr} ${fp}` : addr };
}

/**
 * A list of bridge lines as given (arguments, or a file's lines): blank lines and `#` comments are
 * skipped, numbering follows the input so errors point at the line the user wrote. At least one bridge.
 */
export function parseBridges(untrustedLines: unknown, source = 'line'): Bridge[] {
  if (!Array.isArray(untrustedLines)) throw new BulkheadError('ERR_INVALID_VALUE', 'bridges: must be a list of lines');
  if (untrustedLines.length > MAX_BRIDGES * 4) throw new BulkheadError('ERR_INVALID_VALUE', `bridges: more than ${MAX_BRIDGES * 4} lines`);
  const out: Bridge[] = [];
  const seen = new Set<string>();
  untrustedLines.forEach((l, i) => {
    const where = `${source} ${i + 1}`;
    if (typeof l === 'string' && (l.trim() === '' || l.trim().startsWith('#'))) return;
    const b = parseBridgeLine(l, where);
    if (seen.has(b.line)) throw bad(where, 'line', 'appears twice');
    seen.add(b.line);
    out.push(b);
  });
  if (out.length === 0) throw new BulkheadError('ERR_INVALID_VALUE', 'bridges: no bridge line given (to use none: bulkhead gateway bridges clear)');
  if (out.length > MAX_BRIDGES) throw new BulkheadError('ERR_INVALID_VALUE', `bridges: at most ${MAX_BRIDGES} bridges`);
  return out;
}
