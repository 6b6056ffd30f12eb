// Who is at the other end of a qube's socket: SO_PEERCRED through a small Node-API addon, checked against the qube's uid range.
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { BulkheadError } from '../errors/index.js';
import { NATIVE_BUILD } from './paths.js';

export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

/** Host uids a connection may come from: [first, first + count). */
export interface UidRange {
  first: number;
  count: number;
}

let addon: { getPeerCred(fd: number): PeerCred } | undefined;

function load(): { getPeerCred(fd: number): PeerCred } {
  if (!addon) {
    const path = join(NATIVE_BUILD, 'peercred.node');
    try {
      addon = createRequire(import.meta.url)(path) as { getPeerCred(fd: number): PeerCred };
    } catch (e) {
      throw new BulkheadError('ERR_RUNTIME', `native helper ${path} is missing or broken (run make -C native): ${(e as Error).message}`);
    }
  }
  return addon;
}

/** Loads the addon now, so a missing build stops the daemon at start and not at the first call. */
export function requirePeerCred(): void {
  load();
}

/** The credentials the kernel recorded when the peer connected; throws when they cannot be read. */
export function peerCred(sock: Socket): PeerCred {
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new BulkheadError('ERR_PERMISSION', 'the connection has no file descriptor to read credentials from');
  return load().getPeerCred(fd);
}

/** Pure: may a peer with these credentials use a socket reserved for `range`? Both uid and gid must be inside. */
export function peerInRange(c: PeerCred, range: UidRange): boolean {
  const inside = (id: number) => Number.isInteger(id) && id >= range.first && id < range.first + range.count;
  return inside(c.uid) && inside(c.gid);
}
