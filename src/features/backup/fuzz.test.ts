// Fuzzes the backup reader: random and mutated headers, record headers, manifests and whole files give only ERR_BACKUP* errors, never a crash, a hang or an accepted change.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { prng } from '../../../test/support/prng.js';
import { BulkheadError } from '../../errors/index.js';
import { DEFAULT_SCRYPT, HEADER_BYTES, encodeHeaderBody, parseHeader, parseRecordHeader } from './format.js';
import { parseManifest } from './manifest.js';
import { readAll, sampleManifest, tempDir, writeSample } from './testing.test-util.js';

const SEED = Number(process.env.BULKHEAD_FUZZ_SEED ?? randomBytes(4).readUInt32LE(0));
const rnd = prng(SEED);
const int = (n: number) => Math.floor(rnd() * n);
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
const ours = (e: unknown) => e instanceof BulkheadError && (e.code === 'ERR_BACKUP' || e.code === 'ERR_BACKUP_PASSPHRASE');

function mutate(b: Buffer): Buffer {
  const c = Buffer.from(b);
  switch (int(4)) {
    case 0:
      for (let k = 1 + int(4); k > 0; k--) c[int(c.length)] = int(256);
      return c;
    case 1:
      return c.subarray(0, int(c.length));
    case 2: {
      const i = int(c.length);
      return Buffer.concat([c.subarray(0, i), bytes(1 + int(16)), c.subarray(i)]);
    }
    default: {
      const i = int(c.length);
      return Buffer.concat([c.subarray(0, i), c.subarray(i + 1 + int(8))]);
    }
  }
}

describe(`backup fuzz (seed ${SEED})`, () => {
  it('header parser: random and mutated headers', () => {
    const good = Buffer.concat([
      encodeHeaderBody({ scrypt: DEFAULT_SCRYPT, chunkSize: 1 << 20, backupId: randomBytes(16), salt: randomBytes(32), createdAtMs: 0 }),
      randomBytes(32),
    ]);
    for (let i = 0; i < 5000; i++) {
      const b = i % 2 ? bytes(int(HEADER_BYTES * 2)) : mutate(good);
      try {
        const h = parseHeader(b);
        // Whatever parses is within every bound.
        assert.ok(h.chunkSize >= 65536 && h.chunkSize <= 16 << 20);
        assert.ok(128 * 2 ** h.scrypt.log2N * h.scrypt.r <= 1 << 30);
      } catch (e) {
        assert.ok(ours(e), `seed ${SEED}: ${(e as Error).stack}`);
      }
    }
  });

  it('record header parser: random bytes', () => {
    for (let i = 0; i < 5000; i++) {
      try {
        const r = parseRecordHeader(bytes(int(2) ? 12 : int(24)), 65536, 0);
        assert.ok(r.length >= 16 && r.length <= 65536 + 16);
      } catch (e) {
        assert.ok(ours(e), `seed ${SEED}: ${(e as Error).stack}`);
      }
    }
  });

  it('manifest parser: mutated JSON', () => {
    const text = JSON.stringify(
      sampleManifest([
        { qube: 'work', bytes: 1 },
        { qube: 'vault', bytes: 2 },
      ]),
    );
    for (let i = 0; i < 3000; i++) {
      const t = mutate(Buffer.from(text)).toString('utf8');
      try {
        parseManifest(t);
      } catch (e) {
        assert.ok(ours(e), `seed ${SEED}: ${t}: ${(e as Error).stack}`);
      }
    }
  });

  const t = tempDir();
  after(t.done);
  it('whole files: every mutation is refused with one error, never accepted', async () => {
    const f = join(t.dir, 'f.bhb');
    const payloads = [randomBytes(150_000), randomBytes(1000)];
    await writeSample(f, payloads);
    const orig = readFileSync(f);
    for (let i = 0; i < 150; i++) {
      const b = mutate(orig);
      if (b.equals(orig)) continue;
      writeFileSync(f, b);
      try {
        const back = await readAll(f);
        assert.fail(`seed ${SEED}: a changed file was accepted (${back.length} entries)`);
      } catch (e) {
        assert.ok(ours(e), `seed ${SEED}: ${(e as Error).stack}`);
      }
    }
  });
});
