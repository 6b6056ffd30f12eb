// Whether swap may carry an amnesic disposable's RAM to disk: /proc/swaps parsed, each device judged (pure).

/** One line of /proc/swaps. */
export interface SwapEntry {
  /** The device or file, as the kernel prints it (spaces as \040). */
  name: string;
  type: 'partition' | 'file' | string;
  sizeKiB: number;
}

/** What the host says about the block device under a swap entry (found by swap-facts.ts). */
export interface SwapDeviceFacts {
  /** Some device in the stack under it (itself or below, e.g. LVM on LUKS) is dm-crypt (dm uuid CRYPT-…). */
  encrypted: boolean;
  /** A zram device: compressed RAM; disk only when a backing device is set. */
  zram: boolean;
  /** zram with a backing device (pages may be written back to that disk). */
  zramBackingDev: string | null;
  /** How it was found, for the message (e.g. "dm-3 → dm-0 CRYPT-LUKS2-…"). */
  chain: string[];
}

export type SwapVerdict = { state: 'none' } | { state: 'ram-or-encrypted'; warning: string } | { state: 'unencrypted'; warning: string; refusal: string };

/** Parses /proc/swaps (header line first); a line it cannot read is an error naming it. */
export function parseProcSwaps(text: string, file = '/proc/swaps'): SwapEntry[] {
  const lines = text.split('\n');
  const out: SwapEntry[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const f = line.trim().split(/\s+/);
    if (f.length < 3 || !/^\d+$/.test(f[2] as string)) throw new Error(`${file}:${i + 1}: not a swap line: ${JSON.stringify(line)}`);
    out.push({
      name: (f[0] as string).replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))),
      type: f[1] as string,
      sizeKiB: Number(f[2]),
    });
  }
  return out;
}

/**
 * The rule of amnesic mode: no swap is fine; swap that is RAM (zram without a backing device) or
 * sits on dm-crypt is fine with a warning (its key is on the host: a seized disk with the key
 * still reveals it); any other swap refuses amnesic disposables, since the kernel may write their
 * tmpfs pages there in clear. A device nothing is known about counts as unencrypted (fail closed).
 */
export function swapVerdict(entries: readonly SwapEntry[], facts: ReadonlyMap<string, SwapDeviceFacts>): SwapVerdict {
  if (entries.length === 0) return { state: 'none' };
  const clear: string[] = [];
  const safe: string[] = [];
  for (const e of entries) {
    const f = facts.get(e.name);
    if (f?.zram && f.zramBackingDev === null) safe.push(`${e.name} (zram, RAM only)`);
    else if (f?.encrypted) safe.push(`${e.name} (dm-crypt: ${f.chain.join(' → ')})`);
    else if (f?.zram) clear.push(`${e.name} (zram writing back to ${f.zramBackingDev})`);
    else clear.push(`${e.name} (${e.type}, not on dm-crypt)`);
  }
  if (clear.length === 0) {
    return {
      state: 'ram-or-encrypted',
      warning: `swap is active: ${safe.join(', ')}; amnesic disposables' pages may be swapped, but only to RAM or encrypted disk`,
    };
  }
  const warning = `swap is active and not encrypted: ${clear.join(', ')}`;
  return {
    state: 'unencrypted',
    warning,
    refusal: `${warning}: an amnesic disposable's RAM could be written to disk in clear; encrypt the swap (dm-crypt, e.g. a random key in /etc/crypttab), turn it off (swapoff), or set amnesic=false on the disposable template`,
  };
}
