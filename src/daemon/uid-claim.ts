// Claiming this state directory's host uid range: never one in /etc/subuid, /etc/subgid or another state directory's.
//
// Claims live in a host-wide registry, one small JSON file per state directory in
// /run/bulkhead/uid-slots (root only). /run is the right lifetime: the hazard is two state
// directories running qubes with the same host uids (one qube could then signal, ptrace or read the
// files of another's), and no qube outlives a reboot. Claims stay while the daemon is stopped
// (its qubes keep running) and are dropped when their state directory is gone. After a reboot each
// state directory registers again at its next start; the second of two that overlap is refused.
import { createHash, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UID_REGISTRY_DIR } from './paths.js';
import { BulkheadError } from '../errors/index.js';
import { MAX_QID } from '../state/index.js';
import { firstOverlap, instanceRange, parseSubIdFile, pickSlotBase, showRange, type IdRange } from './uid-ranges.js';

/** Lowest and highest-but-one slot base a new state directory may draw (slot 64 = uid 4194304). */
const SLOT_LO = 64;
const SLOT_HI = 61000;

interface Claim {
  home: string;
  slotBase: number;
  maxQid: number;
}

export interface UidClaimOptions {
  /** Registry directory (tests point it elsewhere). */
  registry?: string;
  /** Subordinate id files to keep clear of. */
  subIdFiles?: string[];
}

function defaults(o: UidClaimOptions): Required<UidClaimOptions> {
  return {
    registry: o.registry ?? process.env.BULKHEAD_UID_REGISTRY ?? UID_REGISTRY_DIR,
    subIdFiles: o.subIdFiles ?? [process.env.BULKHEAD_SUBUID ?? '/etc/subuid', process.env.BULKHEAD_SUBGID ?? '/etc/subgid'],
  };
}

const sleepMs = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Run `fn` holding the registry lock (a directory made atomically; one left by a crash expires). */
function withLock<T>(registry: string, fn: () => T): T {
  const lock = join(registry, '.lock');
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock, { mode: 0o700 });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 10_000) rmSync(lock, { recursive: true, force: true });
      else if (i > 200) throw new BulkheadError('ERR_UID_RANGE', `uid registry ${registry} stays locked (${lock}); remove it if no bulkheadd is starting`);
      else sleepMs(25);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function claimFile(registry: string, home: string): string {
  return join(registry, `${createHash('sha256').update(home).digest('hex').slice(0, 16)}.json`);
}

/** Other state directories' claims; those whose state directory is gone are deleted. */
function otherClaims(registry: string, home: string): IdRange[] {
  const out: IdRange[] = [];
  for (const n of readdirSync(registry)) {
    if (!n.endsWith('.json')) continue;
    const f = join(registry, n);
    let c: Claim;
    try {
      c = JSON.parse(readFileSync(f, 'utf8')) as Claim;
      if (typeof c.home !== 'string' || !Number.isInteger(c.slotBase) || !Number.isInteger(c.maxQid)) throw new Error('fields');
    } catch {
      throw new BulkheadError('ERR_UID_RANGE', `uid registry file ${f} is not a valid claim; remove it`);
    }
    if (c.home === home) continue;
    if (!existsSync(join(c.home, 'state.db'))) {
      rmSync(f, { force: true });
      continue;
    }
    out.push(instanceRange(c.slotBase, c.maxQid, `the state directory ${c.home}`));
  }
  return out;
}

function subIdRanges(files: string[]): IdRange[] {
  const out: IdRange[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new BulkheadError('ERR_UID_RANGE', `cannot read ${f}: ${(e as Error).message}`);
    }
    try {
      out.push(...parseSubIdFile(text, f));
    } catch (e) {
      throw new BulkheadError('ERR_UID_RANGE', (e as Error).message);
    }
  }
  return out;
}

/**
 * Check this state directory's uid range (drawing one for a new state directory, `stored`
 * undefined) against /etc/subuid, /etc/subgid and every other state directory's claim, then
 * record the claim. Returns the slot base. Throws ERR_UID_RANGE naming what overlaps.
 */
export function claimUidSlots(home: string, stored: number | undefined, opts: UidClaimOptions = {}): number {
  const o = defaults(opts);
  mkdirSync(o.registry, { recursive: true, mode: 0o700 });
  return withLock(o.registry, () => {
    const claimed = [...subIdRanges(o.subIdFiles), ...otherClaims(o.registry, home)];
    let base = stored;
    if (base === undefined) {
      const picked = pickSlotBase(claimed, MAX_QID, SLOT_LO, SLOT_HI, randomInt);
      if (picked === null)
        throw new BulkheadError(
          'ERR_UID_RANGE',
          `no free host uid range for a new state directory (all collide with ${claimed.map((c) => c.source).join(', ')})`,
        );
      base = picked;
    }
    const mine = instanceRange(base, MAX_QID, home);
    const hit = firstOverlap(mine, claimed);
    if (hit) {
      throw new BulkheadError(
        'ERR_UID_RANGE',
        `host uid range ${showRange(mine)} of ${home} (uid_slot_base ${base}) overlaps ${showRange(hit)} of ${hit.source}; refusing to start`,
      );
    }
    const file = claimFile(o.registry, home);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ home, slotBase: base, maxQid: MAX_QID } satisfies Claim) + '\n', { mode: 0o600 });
    renameSync(tmp, file);
    return base;
  });
}
