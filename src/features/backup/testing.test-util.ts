// Test helpers for the backup format: a small backup written to a temporary file with cheap scrypt parameters.
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIMITS } from './format.js';
import { MANIFEST_VERSION, entryName, type Manifest } from './manifest.js';
import { BackupReader, type EntrySink } from './reader.js';
import { BackupWriter } from './writer.js';

export const FAST = { scrypt: { log2N: 10, r: 8, p: 1 }, chunkSize: LIMITS.minChunk };
export const PASS = 'correct horse battery staple';

export function tempDir(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bh-backup-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

export function sampleManifest(entries: { qube: string; bytes: number }[]): Manifest {
  const qubes = [...new Set(entries.map((e) => e.qube))];
  return {
    version: MANIFEST_VERSION,
    createdAt: '2026-01-01T00:00:00.000Z',
    bulkhead: '0.1.0',
    qubes: qubes.map((name) => ({
      name,
      klass: 'app',
      label: 'red',
      props: { template: 'debian-12' },
      tags: ['t1'],
      features: { f: 'v' },
      firewall: ['action=drop'],
      uidBase: 65536,
      policyRefs: [],
    })),
    entries: entries.map((e) => ({ name: entryName(e.qube, 'private', 'image'), qube: e.qube, volume: 'private', format: 'image', bytes: e.bytes })),
  };
}

/** Write a backup whose entries hold `payloads` (already "compressed" bytes, as the writer sees them). */
export async function writeSample(file: string, payloads: Buffer[], pass = PASS): Promise<Manifest> {
  const m = sampleManifest(payloads.map((p, i) => ({ qube: `q${i}`, bytes: p.length })));
  const fh = await open(file, 'wx');
  try {
    const w = await BackupWriter.start(fh, pass, FAST);
    await w.manifest(m);
    for (const [i, p] of payloads.entries()) {
      await w.entry(
        i,
        m.entries[i]!.name,
        (async function* () {
          for (let o = 0; o < p.length; o += 10_000) yield p.subarray(o, o + 10_000);
        })(),
      );
    }
    await w.finish();
  } finally {
    await fh.close();
  }
  return m;
}

/** Read every entry back into memory (or throw the reader's error). */
export async function readAll(file: string, pass = PASS): Promise<Buffer[]> {
  const r = await BackupReader.open(file, pass);
  const out: Buffer[][] = [];
  try {
    await r.entries(async (_e, i) => {
      out[i] = [];
      const sink: EntrySink = {
        write: async (b) => {
          out[i]!.push(Buffer.from(b));
        },
        end: async () => undefined,
        abort: async () => {
          out[i] = [];
        },
      };
      return sink;
    });
  } finally {
    await r.close();
  }
  return out.map((p) => Buffer.concat(p));
}
