// Qubes OS v4 backups made by GNU tar, gzip and Debian's scrypt tool are read and checked; every damage is refused naming its member.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, promises as fsp, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  deriveKey,
  fileSink,
  indexOuterTar,
  memorySink,
  openQubesBackup,
  openScryptFile,
  parseFirewallXml,
  parseQubesXml,
  parseScryptHeader,
  readBackedUpFile,
} from '../../src/features/backup/qubes/index.js';
import { makeSampleBackup, packOuter, sealScryptFile, SCRYPT_TOOL } from '../../src/features/backup/qubes/fixture.test-util.js';

const RUN = process.env.BULKHEAD_TEST_RUN ?? 'bht';
let base: string;
let good: string;
const PASS = 'correct horse';

before(async () => {
  base = await fsp.mkdtemp(join(tmpdir(), `${RUN}-qubesbak-`));
  good = await makeSampleBackup(join(base, 'good'));
});
after(async () => {
  await fsp.rm(base, { recursive: true, force: true });
});

/** Read and check every file of the backup, as a restore does before it creates anything. */
async function verifyAll(path: string, pass = PASS): Promise<Map<string, Buffer>> {
  const b = await openQubesBackup(path, pass);
  const out = new Map<string, Buffer>();
  try {
    for (const f of b.layout.files.keys()) {
      if (f.endsWith('.img')) {
        const img = join(base, `out-${Math.random().toString(16).slice(2)}.img`);
        const s = fileSink(img);
        try {
          await readBackedUpFile(b, f, s, { maxRealSize: 1 << 30 });
        } finally {
          s.close();
        }
        out.set(f, readFileSync(img));
        await fsp.rm(img);
      } else {
        const m = memorySink(1 << 20);
        await readBackedUpFile(b, f, m, { maxRealSize: 1 << 20 });
        out.set(f, m.result());
      }
    }
  } finally {
    b.close();
  }
  return out;
}

/** The good backup's chunks packed again, rearranged or changed (no new encryption: quick). */
async function variant(tag: string, o: { arrange?: (names: string[]) => string[]; beforePack?: (work: string) => Promise<void> }): Promise<string> {
  const dir = join(base, tag);
  await fsp.mkdir(dir);
  await fsp.cp(join(base, 'good', 'work'), join(dir, 'work'), { recursive: true });
  await o.beforePack?.(join(dir, 'work'));
  const fd = openSync(good, 'r');
  const names = indexOuterTar((off, len) => {
    const b = Buffer.alloc(len);
    return b.subarray(0, readSync(fd, b, 0, len, off));
  }, statSync(good).size).map((m) => m.name);
  closeSync(fd);
  return packOuter(join(dir, 'work'), (o.arrange ?? ((x) => x))(names), join(dir, 'qubes-backup'));
}

function memberOf(path: string, name: string): { offset: number; size: number } {
  const fd = openSync(path, 'r');
  try {
    const read = (off: number, len: number) => {
      const b = Buffer.alloc(len);
      const n = readSync(fd, b, 0, len, off);
      return b.subarray(0, n);
    };
    const m = indexOuterTar(read, statSync(path).size).find((x) => x.name === name);
    if (!m) throw new Error(`no member ${name}`);
    return m;
  } finally {
    closeSync(fd);
  }
}

async function flipped(name: string, at: (size: number) => number): Promise<string> {
  const copy = join(base, `flip-${name.replace(/\//g, '_')}`);
  await fsp.copyFile(good, copy);
  const m = memberOf(copy, name);
  const fd = openSync(copy, 'r+');
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, m.offset + at(m.size));
  b[0] = b[0]! ^ 0x01;
  writeSync(fd, b, 0, 1, m.offset + at(m.size));
  closeSync(fd);
  return copy;
}

test(
  'the scrypt tool wrote the chunks; our decryption gives what `scrypt dec` gives',
  { skip: SCRYPT_TOOL ? false : 'Debian scrypt is not installed' },
  async () => {
    const enc = join(base, 'good', 'work', 'vm7', 'private.img.001.enc');
    const pf = join(base, 'pass');
    await fsp.writeFile(pf, `20261207T120000-4242!vm7/private.img.001!${PASS}`);
    const r = spawnSync('scrypt', ['dec', '--passphrase', `file:${pf}`, enc, join(base, 'dec.out')]);
    assert.equal(r.status, 0, r.stderr.toString());
    const file = readFileSync(enc);
    const mine = openScryptFile(file, await deriveKey(readFileSync(pf, 'utf8'), parseScryptHeader(file, 'x')), 'x');
    assert.deepEqual(mine, readFileSync(join(base, 'dec.out')));
    // And the other way: the format as the test helper writes it with node:crypto opens in the tool.
    await fsp.writeFile(join(base, 'node.enc'), sealScryptFile(Buffer.from('from node'), 'pw', 10));
    await fsp.writeFile(pf, 'pw');
    const r2 = spawnSync('scrypt', ['dec', '--passphrase', `file:${pf}`, join(base, 'node.enc')]);
    assert.equal(r2.status, 0, r2.stderr.toString());
    assert.equal(r2.stdout.toString(), 'from node');
  },
);

test('a good backup: header, qubes.xml, firewall.xml and the private images (several chunks) come back whole', async () => {
  const b = await openQubesBackup(good, PASS);
  assert.equal(b.header.backupId, '20261207T120000-4242');
  assert.ok(b.layout.files.get('vm7/private.img')!.length >= 3, 'the image spans several chunks');
  b.close();
  const files = await verifyAll(good);
  assert.deepEqual([...files.keys()].sort(), ['qubes.xml', 'vm5/private.img', 'vm7/firewall.xml', 'vm7/private.img']);
  assert.deepEqual(files.get('vm7/private.img'), readFileSync(join(base, 'good', 'src', 'img', 'private.img')));
  assert.deepEqual(
    parseQubesXml(files.get('qubes.xml')!).domains.map((d) => d.name),
    ['dom0', 'fedora-39', 'q-firewall', 'q-work'],
  );
  assert.equal(parseFirewallXml(files.get('vm7/firewall.xml')!, 'fw').length, 4);
});

test('a wrong passphrase is refused at the header', async () => {
  await assert.rejects(openQubesBackup(good, 'wrong'), /backup-header\.hmac: wrong passphrase/);
});

test('a flipped byte in a chunk, its scrypt header or the plain header is refused, naming it', async () => {
  await assert.rejects(verifyAll(await flipped('vm7/private.img.001.enc', (n) => n - 100)), /vm7\/private\.img\.001\.enc: its content does not authenticate/);
  await assert.rejects(verifyAll(await flipped('vm7/private.img.002.enc', () => 20)), /vm7\/private\.img\.002\.enc: scrypt header checksum/);
  await assert.rejects(verifyAll(await flipped('vm7/private.img.000.enc', () => 70)), /vm7\/private\.img\.000\.enc: wrong passphrase/);
  await assert.rejects(verifyAll(await flipped('backup-header', () => 2)), /backup-header: does not match its authenticated copy/);
  await assert.rejects(verifyAll(await flipped('qubes.xml.000.enc', (n) => n - 1)), /qubes\.xml\.000\.enc: its content does not authenticate/);
});

test('a truncated archive is refused', async () => {
  const copy = join(base, 'truncated');
  await fsp.copyFile(good, copy);
  const m = memberOf(copy, 'vm7/firewall.xml.000.enc');
  await fsp.truncate(copy, m.offset + Math.floor(m.size / 2));
  await assert.rejects(verifyAll(copy), /truncated/);
});

test('reordered and dropped chunks and a dropped file are refused, naming the chunk', async () => {
  const swap = await variant('swap', {
    arrange: (n) => {
      const i = n.indexOf('vm7/private.img.001.enc');
      [n[i], n[i + 1]] = [n[i + 1]!, n[i]!];
      return n;
    },
  });
  await assert.rejects(verifyAll(swap), /vm7\/private\.img\.002\.enc: chunk vm7\/private\.img\.001\.enc is missing before it/);
  const dropMid = await variant('dropmid', { arrange: (n) => n.filter((x) => x !== 'vm7/private.img.001.enc') });
  await assert.rejects(verifyAll(dropMid), /vm7\/private\.img\.002\.enc: chunk vm7\/private\.img\.001\.enc is missing/);
  const dropLast = await variant('droplast', {
    arrange: (n) => {
      const last = n.filter((x) => x.startsWith('vm7/private.img.')).pop()!;
      return n.filter((x) => x !== last);
    },
  });
  await assert.rejects(verifyAll(dropLast), /vm7\/private\.img.*(does not decompress|ends early)/);
  const dropFile = await variant('dropxml', { arrange: (n) => n.filter((x) => !x.startsWith('qubes.xml')) });
  await assert.rejects(
    verifyAll(dropFile).then(async () => {
      const b = await openQubesBackup(dropFile, PASS);
      try {
        await readBackedUpFile(b, 'qubes.xml', memorySink(1 << 20), { maxRealSize: 1 << 20 });
      } finally {
        b.close();
      }
    }),
    /qubes\.xml: is not in the backup/,
  );
});

test("a chunk moved under another chunk's name does not open: the name is bound into its passphrase", async () => {
  const moved = await variant('moved', {
    beforePack: async (work) => {
      await fsp.copyFile(join(work, 'vm5', 'private.img.000.enc'), join(work, 'vm7', 'private.img.000.enc'));
    },
  });
  await assert.rejects(verifyAll(moved), /vm7\/private\.img\.000\.enc: wrong passphrase/);
});
