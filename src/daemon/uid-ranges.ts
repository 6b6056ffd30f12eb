// Host uid ranges of a state directory versus /etc/subuid, /etc/subgid and other state directories (pure).

/** A range of host ids [first, first + count) and where it was claimed (for the error message). */
export interface IdRange {
  first: number;
  count: number;
  /** `/etc/subuid:3 (alice:100000:65536)` or `state directory /var/lib/bulkhead`. */
  source: string;
}

/** Ids in one qube's user namespace, and so in one uid slot. */
export const UID_SLOT_SIZE = 65536;

/** The host ids a state directory may give its qubes: slots `slotBase … slotBase + maxQid`. */
export function instanceRange(slotBase: number, maxQid: number, source: string): IdRange {
  return { first: slotBase * UID_SLOT_SIZE, count: (maxQid + 1) * UID_SLOT_SIZE, source };
}

export function overlaps(a: IdRange, b: IdRange): boolean {
  return a.first < b.first + b.count && b.first < a.first + a.count;
}

/**
 * The ranges of a subordinate id file (`NAME_OR_ID:FIRST:COUNT` per line, `#` comments).
 * Throws with `file:line` on a line it cannot read: a range we cannot see is one we cannot avoid.
 */
export function parseSubIdFile(text: string, file: string): IdRange[] {
  const out: IdRange[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([^:\s]+):(\d{1,10}):(\d{1,10})$/.exec(line);
    if (!m) throw new Error(`${file}:${i + 1}: not NAME:FIRST:COUNT: ${JSON.stringify(line.slice(0, 80))}`);
    out.push({ first: Number(m[2]), count: Number(m[3]), source: `${file}:${i + 1} (${line})` });
  });
  return out;
}

/** The first claimed range `mine` overlaps, or null. */
export function firstOverlap(mine: IdRange, claimed: readonly IdRange[]): IdRange | null {
  return claimed.find((c) => c.count > 0 && overlaps(mine, c)) ?? null;
}

/** Human form of a range: `4194304-272629759`. */
export function showRange(r: IdRange): string {
  return `${r.first}-${r.first + r.count - 1}`;
}

/**
 * A slot base in [lo, hi) whose range overlaps nothing claimed, from `random` (called until one
 * fits, at most `tries` times); null when none was found.
 */
export function pickSlotBase(
  claimed: readonly IdRange[],
  maxQid: number,
  lo: number,
  hi: number,
  random: (lo: number, hi: number) => number,
  tries = 1000,
): number | null {
  for (let i = 0; i < tries; i++) {
    const base = random(lo, hi);
    if (!firstOverlap(instanceRange(base, maxQid, ''), claimed)) return base;
  }
  return null;
}
