// The qube inventory of a state directory: records from its database, volume sizes from its files (read-only, no link followed).
import type Database from 'better-sqlite3';
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { resolvePaths } from '../../../daemon/paths.js';
import { volumePathsOf } from '../../../storage/layout.js';

export interface VolumeSize {
  volume: string;
  kind: 'image' | 'dir' | 'absent';
  bytes: number;
  allocated: number;
  entries: number;
  truncated?: boolean;
}

export interface QubeInventory {
  name: string;
  klass: string;
  label: string;
  template: string | null;
  netvm: string | null;
  created: string;
  power: string;
  powerSince: string | null;
  lastStarted: string | null;
  lastStopped: string | null;
  volumes: VolumeSize[];
  revisions: number;
}

/** Entries counted per directory walk at most (a qube chooses how many files it makes). */
export const WALK_LIMIT = 2_000_000;

export function sizeOf(path: string, limit = WALK_LIMIT): Omit<VolumeSize, 'volume'> {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return { kind: 'absent', bytes: 0, allocated: 0, entries: 0 };
  }
  if (!st.isDirectory()) return { kind: 'image', bytes: st.size, allocated: st.blocks * 512, entries: 1 };
  let bytes = 0;
  let allocated = 0;
  let entries = 0;
  const stack = [path];
  while (stack.length) {
    const dir = stack.pop()!;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) {
      if (++entries > limit) return { kind: 'dir', bytes, allocated, entries: limit, truncated: true };
      const f = join(dir, n);
      let s;
      try {
        s = lstatSync(f);
      } catch {
        continue;
      }
      bytes += s.size;
      allocated += s.blocks * 512;
      if (s.isDirectory()) stack.push(f);
    }
  }
  return { kind: 'dir', bytes, allocated, entries };
}

interface Row {
  name: string;
  klass: string;
  label: string;
  created_at: string;
}

/** Records as stored; `lastStarted`/`lastStopped` are filled from the timeline by the caller. */
export function readInventory(db: Database.Database, stateDir: string): QubeInventory[] {
  const p = resolvePaths(stateDir);
  const props = new Map<string, Record<string, unknown>>();
  for (const r of db.prepare('SELECT qube, key, value FROM props').all() as { qube: string; key: string; value: string }[]) {
    const m = props.get(r.qube) ?? {};
    try {
      m[r.key] = JSON.parse(r.value) as unknown;
    } catch {
      m[r.key] = r.value;
    }
    props.set(r.qube, m);
  }
  const power = new Map((db.prepare('SELECT qube, state, since FROM power').all() as { qube: string; state: string; since: string }[]).map((r) => [r.qube, r]));
  return (db.prepare('SELECT name, klass, label, created_at FROM qubes ORDER BY name').all() as Row[]).map((r) => {
    const pr = props.get(r.name) ?? {};
    const vp = volumePathsOf(join(p.qubesDir, r.name));
    const vols: VolumeSize[] =
      r.klass === 'admin'
        ? []
        : [
            { volume: 'private', ...sizeOf(vp.private) },
            { volume: 'root', ...sizeOf(vp.root) },
            { volume: 'volatile', ...sizeOf(vp.volatile) },
            ...(r.klass === 'template' || r.klass === 'standalone' ? [{ volume: 'rootfs', ...sizeOf(vp.rootfs) }] : []),
            { volume: 'revisions', ...sizeOf(vp.revisions) },
          ];
    let revisions = 0;
    try {
      revisions = readdirSync(vp.revisions).filter((n) => !n.startsWith('.')).length;
    } catch {
      /* none */
    }
    const pw = power.get(r.name);
    const ref = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
    return {
      name: r.name,
      klass: r.klass,
      label: r.label,
      template: ref(pr.template),
      netvm: ref(pr.netvm),
      created: r.created_at,
      power: pw?.state ?? 'halted',
      powerSince: pw?.since ?? null,
      lastStarted: null,
      lastStopped: null,
      volumes: vols,
      revisions,
    };
  });
}
