// Reads /proc/swaps and, through sysfs, whether each swap device (or the file system of a swap file) sits on dm-crypt or zram.
import { readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { BulkheadError } from '../../../errors/index.js';
import { parseProcSwaps, swapVerdict, type SwapDeviceFacts, type SwapEntry, type SwapVerdict } from './swap.js';

export interface SwapSources {
  /** /proc/swaps, or a fixture (BULKHEAD_PROC_SWAPS in tests). */
  procSwaps?: string;
  /** The sysfs root (default /sys). */
  sys?: string;
}

const read = (p: string): string | null => {
  try {
    return readFileSync(p, 'utf8').trim();
  } catch {
    return null;
  }
};

/** The block device `MAJ:MIN` under a swap entry: the device node itself, or the file system holding a swap file. */
function devOf(e: SwapEntry): string | null {
  try {
    const st = statSync(e.name);
    const dev = st.isBlockDevice() ? st.rdev : st.dev;
    return `${Math.floor(dev / 256) & 0xfff}:${(dev & 0xff) | ((dev >> 12) & 0xfff00)}`;
  } catch {
    return null;
  }
}

const real = (p: string): string | null => {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
};

/** Walks from a block device down through its slaves (LVM, partitions of a crypt device) looking for dm-crypt. */
export function deviceFacts(majMin: string, sys = '/sys'): SwapDeviceFacts {
  const chain: string[] = [];
  let encrypted = false;
  const seen = new Set<string>();
  const visit = (dir: string, depth: number) => {
    if (depth > 8 || seen.has(dir)) return;
    seen.add(dir);
    const name = dir.split('/').pop() as string;
    const uuid = read(`${dir}/dm/uuid`);
    chain.push(uuid ? `${name} ${uuid.split('-').slice(0, 2).join('-')}` : name);
    if (uuid?.startsWith('CRYPT-')) encrypted = true;
    let slaves: string[] = [];
    try {
      slaves = readdirSync(`${dir}/slaves`);
    } catch {
      /* none */
    }
    for (const s of slaves) {
      const r = real(`${sys}/class/block/${s}`);
      if (r) visit(r, depth + 1);
    }
    // A partition sits in its disk's directory: the disk's stack is the partition's.
    if (slaves.length === 0 && read(`${dir}/partition`) !== null) visit(dir.slice(0, dir.lastIndexOf('/')), depth + 1);
  };
  const base = real(`${sys}/dev/block/${majMin}`);
  if (base) visit(base, 0);
  const name = base?.split('/').pop() ?? '';
  const zram = /^zram\d+$/.test(name);
  const backing = zram && base ? read(`${base}/backing_dev`) : null;
  return { encrypted, zram, zramBackingDev: backing === null || backing === 'none' ? null : backing, chain: base ? chain : [`${majMin} (unknown to sysfs)`] };
}

/** The host's swap now, judged for amnesic disposables. */
export function hostSwapVerdict(src: SwapSources = {}): SwapVerdict {
  const file = src.procSwaps ?? process.env.BULKHEAD_PROC_SWAPS ?? '/proc/swaps';
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new BulkheadError('ERR_SWAP', `${file}: cannot read the swap list (${(e as Error).message}); amnesic disposables are refused`, { cause: e });
  }
  let entries: SwapEntry[];
  try {
    entries = parseProcSwaps(text, file);
  } catch (e) {
    throw new BulkheadError('ERR_SWAP', `${(e as Error).message}; amnesic disposables are refused`, { cause: e });
  }
  const facts = new Map<string, SwapDeviceFacts>();
  for (const e of entries) {
    const d = devOf(e);
    if (d) facts.set(e.name, deviceFacts(d, src.sys));
  }
  return swapVerdict(entries, facts);
}
