// Fuzzes the readers of untrusted backup bytes (header, outer and inner tar, qubes.xml, firewall.xml): mutated inputs give a QubesBackupError or a result, never a crash or a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { prng } from '../../../../test/support/prng.js';
import { QubesBackupError } from './errors.js';
import { parseFirewallXml } from './firewall-xml.js';
import { SAMPLE_FIREWALL_XML, sampleQubesXml } from './fixture.test-util.js';
import { parseBackupHeader } from './header.js';
import { InnerTarParser } from './inner-tar.js';
import { indexOuterTar } from './outer-tar.js';
import { planRestore } from './plan.js';
import { parseQubesXml } from './qubes-xml.js';
import { END, member, paxMember, sparseMember } from './tar.test-util.js';

const SEED = Number(process.env.BULKHEAD_FUZZ_SEED ?? randomBytes(4).readUInt32LE(0));
const rnd = prng(SEED);
const int = (n: number) => Math.floor(rnd() * n);
const ROUNDS = 1500;

function mutate(b: Buffer): Buffer {
  const out = Buffer.from(b);
  switch (int(5)) {
    case 0:
      return out.subarray(0, int(out.length + 1));
    case 1: {
      for (let i = 0; i < 1 + int(8); i++) out[int(out.length)] = int(256);
      return out;
    }
    case 2: {
      const i = int(out.length);
      return Buffer.concat([out.subarray(0, i), randomBytesFrom(int(64)), out.subarray(i)]);
    }
    case 3: {
      const i = int(out.length);
      const j = i + int(out.length - i);
      return Buffer.concat([out.subarray(0, i), out.subarray(j)]);
    }
    default: {
      for (let i = 0; i < 1 + int(4); i++) out[int(out.length)] = [0x30, 0x37, 0x20, 0x0a, 0x00, 0x3d, 0x3c][int(7)]!;
      return out;
    }
  }
}
function randomBytesFrom(n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, () => int(256)));
}

function survives(what: string, input: Buffer, f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (e instanceof QubesBackupError) return;
    assert.fail(`${what} (seed ${SEED}): ${(e as Error).stack}\ninput (base64): ${input.toString('base64').slice(0, 2000)}`);
  }
}

test(`fuzz: backup-header (seed ${SEED})`, () => {
  const good = Buffer.from(
    'version=4\nencrypted=True\ncompressed=True\ncompression-filter=gzip\nhmac-algorithm=scrypt\ncrypto-algorithm=scrypt\nbackup-id=20161020T123455-1234\n',
  );
  for (let i = 0; i < ROUNDS; i++) {
    const b = mutate(good);
    survives('header', b, () => parseBackupHeader(b));
  }
});

test(`fuzz: outer and inner tar (seed ${SEED})`, () => {
  const outer = Buffer.concat([
    member('backup-header', Buffer.from('h')),
    END,
    paxMember({ path: 'vm1/private.img.000.enc' }),
    member('x', Buffer.alloc(700, 3)),
    END,
  ]);
  const inner = Buffer.concat([
    sparseMember('vm1/private.img', 9000, [
      { offset: 0, data: Buffer.alloc(600, 1) },
      { offset: 5000, data: Buffer.alloc(100, 2) },
    ]),
    END,
  ]);
  const plain = Buffer.concat([member('qubes.xml', Buffer.from('<qubes/>')), END]);
  for (let i = 0; i < ROUNDS; i++) {
    const o = mutate(outer);
    survives('outer', o, () => indexOuterTar((off, len) => o.subarray(off, off + len), o.length));
    for (const src of [inner, plain]) {
      const b = mutate(src);
      let written = 0;
      const p = new InnerTarParser(
        'f',
        {
          begin() {},
          data(off, d) {
            written += d.length;
            assert.ok(off + d.length <= 9000);
          },
          end() {},
        },
        { maxRealSize: 9000 },
      );
      survives('inner', b, () => {
        for (let k = 0; k < b.length; k += 1 + int(700)) p.push(b.subarray(k, k + 1 + int(700)));
        p.finish();
      });
      assert.ok(written <= b.length, 'never more data out than in');
    }
  }
});

test(`fuzz: qubes.xml, firewall.xml and the plan (seed ${SEED})`, () => {
  const xml = Buffer.from(sampleQubesXml());
  const fw = Buffer.from(SAMPLE_FIREWALL_XML);
  const host = { qubes: new Map([['debian-12', { klass: 'template', providesNetwork: false, dispTemplate: false }]]), defaultTemplate: 'debian-12' };
  for (let i = 0; i < ROUNDS / 3; i++) {
    const x = mutate(xml);
    survives('qubes.xml', x, () => planRestore(parseQubesXml(x).domains, host));
    const f = mutate(fw);
    survives('firewall.xml', f, () => parseFirewallXml(f, 'fw'));
  }
});
