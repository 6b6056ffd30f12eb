// Pure helpers for the identity lines of the lab network: DirAuthority lines, fingerprints, the obfs4 bridge line.
import { BulkheadError } from '../../errors/index.js';

export interface DirAuthority {
  nick: string;
  address: string;
  orPort: number;
  dirPort: number;
  /** v3 identity: the `fingerprint` of the authority certificate. */
  v3ident: string;
  /** Relay identity fingerprint (RSA). */
  fingerprint: string;
}

const HEX40 = /^[0-9A-F]{40}$/;

/** `DirAuthority NICK orport=ORPORT v3ident=HEX ADDR:DIRPORT FINGERPRINT` (tor 0.4.9 rejects `no-ipv6`). */
export function dirAuthorityLine(a: DirAuthority): string {
  if (!HEX40.test(a.v3ident)) throw new BulkheadError('ERR_INVALID_VALUE', `DirAuthority ${a.nick}: bad v3ident "${a.v3ident}"`);
  if (!HEX40.test(a.fingerprint)) throw new BulkheadError('ERR_INVALID_VALUE', `DirAuthority ${a.nick}: bad fingerprint "${a.fingerprint}"`);
  return `DirAuthority ${a.nick} orport=${a.orPort} v3ident=${a.v3ident} ${a.address}:${a.dirPort} ${a.fingerprint}`;
}

/** The `fingerprint HEX` line of a tor-gencert authority certificate. */
export function certificateFingerprint(cert: string, file = 'authority_certificate'): string {
  const m = /^fingerprint ([0-9A-Fa-f]{40})$/m.exec(cert);
  if (!m?.[1]) throw new BulkheadError('ERR_INVALID_VALUE', `${file}: no fingerprint line`);
  return m[1].toUpperCase();
}

/** Output of `tor --list-fingerprint` ("NICK AAAA BBBB …") or the DataDirectory `fingerprint` file. */
export function parseFingerprint(text: string, nick: string): string {
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts[0] !== nick) continue;
    const fp = parts.slice(1).join('').toUpperCase();
    if (HEX40.test(fp)) return fp;
  }
  throw new BulkheadError('ERR_INVALID_VALUE', `no fingerprint for ${nick} in: ${text.trim().split('\n').slice(-2).join(' | ')}`);
}

/**
 * obfs4proxy's pt_state/obfs4_bridgeline.txt has a template line
 * `Bridge obfs4 <IP ADDRESS>:<PORT> <FINGERPRINT> cert=… iat-mode=0`; fill it in.
 * Returns the line without the leading "Bridge" keyword: `obfs4 ADDR:PORT FP cert=… iat-mode=N`.
 */
export function fillBridgeLine(template: string, address: string, port: number, fingerprint: string): string {
  const m = /^Bridge obfs4 .* (cert=\S+) (iat-mode=\d)\s*$/m.exec(template);
  if (!m) throw new BulkheadError('ERR_INVALID_VALUE', 'obfs4_bridgeline.txt: no "Bridge obfs4 … cert=… iat-mode=…" line');
  if (!HEX40.test(fingerprint)) throw new BulkheadError('ERR_INVALID_VALUE', `bridge fingerprint "${fingerprint}"`);
  return `obfs4 ${address}:${port} ${fingerprint} ${m[1]} ${m[2]}`;
}
