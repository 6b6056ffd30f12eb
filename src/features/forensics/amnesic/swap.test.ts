// Tests of the swap rule of amnesic mode: /proc/swaps fixtures and device facts, from a fake sysfs too.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { deviceFacts } from './swap-facts.js';
import { parseProcSwaps, swapVerdict, type SwapDeviceFacts } from './swap.js';

const HEADER = 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n';
const plain: SwapDeviceFacts = { encrypted: false, zram: false, zramBackingDev: null, chain: ['sda2'] };
const crypt: SwapDeviceFacts = { encrypted: true, zram: false, zramBackingDev: null, chain: ['dm-1', 'dm-0 CRYPT-LUKS2'] };
const zram: SwapDeviceFacts = { encrypted: false, zram: true, zramBackingDev: null, chain: ['zram0'] };

describe('amnesic: swap', () => {
  it('no swap (this machine): nothing to say', () => {
    assert.deepEqual(parseProcSwaps(HEADER), []);
    assert.deepEqual(swapVerdict([], new Map()), { state: 'none' });
  });

  it('parses partitions and files, with escaped spaces', () => {
    const e = parseProcSwaps(
      `${HEADER}/dev/sda2                               partition\t8388604\t\t0\t\t-2\n/swap\\040file                             file\t\t1048572\t\t0\t\t-3\n`,
    );
    assert.deepEqual(e, [
      { name: '/dev/sda2', type: 'partition', sizeKiB: 8388604 },
      { name: '/swap file', type: 'file', sizeKiB: 1048572 },
    ]);
  });

  it('a line it cannot read is an error naming file and line', () => {
    assert.throws(() => parseProcSwaps(`${HEADER}garbage\n`, '/proc/swaps'), /\/proc\/swaps:2: not a swap line/);
  });

  it('unencrypted swap refuses amnesic mode; unknown devices count as unencrypted', () => {
    const e = parseProcSwaps(`${HEADER}/dev/sda2 partition 100 0 -2\n`);
    const v = swapVerdict(e, new Map([['/dev/sda2', plain]]));
    assert.equal(v.state, 'unencrypted');
    assert.match(v.state === 'unencrypted' ? v.refusal : '', /sda2 .*not on dm-crypt.*amnesic=false/);
    assert.equal(swapVerdict(e, new Map()).state, 'unencrypted');
  });

  it('dm-crypt swap and zram without a backing device only warn; mixed with a clear one, refuse', () => {
    const e = parseProcSwaps(`${HEADER}/dev/dm-1 partition 100 0 -2\n/dev/zram0 partition 100 0 100\n`);
    const ok = swapVerdict(
      e,
      new Map([
        ['/dev/dm-1', crypt],
        ['/dev/zram0', zram],
      ]),
    );
    assert.equal(ok.state, 'ram-or-encrypted');
    assert.match(ok.state === 'ram-or-encrypted' ? ok.warning : '', /dm-crypt: dm-1 → dm-0 CRYPT-LUKS2.*zram, RAM only/);
    const backed = swapVerdict(
      e,
      new Map([
        ['/dev/dm-1', crypt],
        ['/dev/zram0', { ...zram, zramBackingDev: '/dev/sdb1' }],
      ]),
    );
    assert.equal(backed.state, 'unencrypted');
  });

  it('device facts: LVM on LUKS through slaves, a partition of a plain disk, zram, from a fake sysfs', () => {
    const sys = mkdtempSync(join(tmpdir(), 'bh-sysfs-'));
    try {
      const dev = (p: string) => {
        mkdirSync(join(sys, 'devices', p), { recursive: true });
        return join(sys, 'devices', p);
      };
      const crypt0 = dev('virtual/block/dm-0');
      mkdirSync(join(crypt0, 'dm'));
      writeFileSync(join(crypt0, 'dm', 'uuid'), 'CRYPT-LUKS2-abcd-cryptswap\n');
      const lvm1 = dev('virtual/block/dm-1');
      mkdirSync(join(lvm1, 'dm'));
      writeFileSync(join(lvm1, 'dm', 'uuid'), 'LVM-xyz\n');
      mkdirSync(join(lvm1, 'slaves'));
      mkdirSync(join(sys, 'class', 'block'), { recursive: true });
      symlinkSync(crypt0, join(sys, 'class', 'block', 'dm-0'));
      symlinkSync(lvm1, join(sys, 'class', 'block', 'dm-1'));
      writeFileSync(join(lvm1, 'slaves', 'dm-0'), '');
      const sda2 = dev('pci/block/sda/sda2');
      writeFileSync(join(sda2, 'partition'), '2\n');
      const z = dev('virtual/block/zram0');
      writeFileSync(join(z, 'backing_dev'), 'none\n');
      mkdirSync(join(sys, 'dev', 'block'), { recursive: true });
      symlinkSync(lvm1, join(sys, 'dev', 'block', '253:1'));
      symlinkSync(sda2, join(sys, 'dev', 'block', '8:2'));
      symlinkSync(z, join(sys, 'dev', 'block', '252:0'));
      const f1 = deviceFacts('253:1', sys);
      assert.equal(f1.encrypted, true);
      assert.deepEqual(f1.chain, ['dm-1 LVM-xyz', 'dm-0 CRYPT-LUKS2']);
      const f2 = deviceFacts('8:2', sys);
      assert.equal(f2.encrypted, false);
      assert.deepEqual(f2.chain, ['sda2', 'sda']);
      assert.deepEqual(deviceFacts('252:0', sys), { encrypted: false, zram: true, zramBackingDev: null, chain: ['zram0'] });
      assert.equal(deviceFacts('9:9', sys).encrypted, false);
    } finally {
      rmSync(sys, { recursive: true, force: true });
    }
  });
});
