// Safe names for nft text: table, per-qube chains and link interface names.
import { BulkheadError } from '../errors/index.js';

export const DEFAULT_TABLE = 'bulkhead';
const QUBE_NAME_RE = /^[a-zA-Z][a-zA-Z0-9_.-]{0,30}$/;
/** Linux allows 15 bytes; a name that starts with '.' or '-' could read as a path or an option to `ip`. */
const IFNAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;
const TABLE_RE = /^[a-zA-Z][a-zA-Z0-9_]{0,31}$/;

export function checkQubeName(name: string): string {
  if (typeof name !== 'string' || !QUBE_NAME_RE.test(name)) {
    throw new BulkheadError('ERR_INVALID_NAME', `qube name '${String(name).slice(0, 40)}' must match [a-zA-Z][a-zA-Z0-9_.-]* (at most 31)`);
  }
  return name;
}

/** The one check of an interface name, for nft text and for `ip` arguments alike. */
export function checkIfname(name: string): string {
  if (typeof name !== 'string' || !IFNAME_RE.test(name)) {
    throw new BulkheadError(
      'ERR_INVALID_NAME',
      `ifname: interface name '${String(name).slice(0, 40)}' must be 1..15 of [A-Za-z0-9_.-], not starting with '.' or '-'`,
    );
  }
  return name;
}

export function checkTable(name: string): string {
  if (typeof name !== 'string' || !TABLE_RE.test(name)) {
    throw new BulkheadError('ERR_INVALID_NAME', `nft table name '${String(name).slice(0, 40)}' must match [a-zA-Z][a-zA-Z0-9_]* (at most 32)`);
  }
  return name;
}

/**
 * The chain holding a qube's firewall rules. A checked qube name after a fixed prefix is always
 * an nft identifier (letters, digits, `_ . -`), never a keyword, so it needs no quoting.
 */
export function qubeChain(qubeName: string): string {
  return `qube-${checkQubeName(qubeName)}`;
}

/** An interface name as an nft quoted string. */
export function ifnameLiteral(ifname: string): string {
  return `"${checkIfname(ifname)}"`;
}
