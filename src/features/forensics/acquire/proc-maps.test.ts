// Tests of the maps/status parsers and the choice of regions to dump.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dumpableRegions, parseMaps, parseStatus } from './proc-maps.js';

const MAPS = `55d0c0a00000-55d0c0a02000 r--p 00000000 00:2a 1234                       /usr/bin/sleep
55d0c0a02000-55d0c0a06000 r-xp 00002000 00:2a 1234                       /usr/bin/sleep
7ffd4c1f0000-7ffd4c211000 rw-p 00000000 00:00 0                          [stack]
7ffd4c3e4000-7ffd4c3e8000 r--p 00000000 00:00 0                          [vvar]
7f0000000000-7f0000001000 ---p 00000000 00:00 0
7f0000002000-7f0000003000 rw-s 00000000 00:05 77                         /dev/zero (deleted)
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
`;

describe('acquire: process maps', () => {
  it('parses every line with addresses, permissions and path', () => {
    const r = parseMaps(MAPS);
    assert.equal(r.length, 7);
    assert.deepEqual(r[0], { start: 0x55d0c0a00000n, end: 0x55d0c0a02000n, perms: 'r--p', offset: 0n, dev: '00:2a', inode: 1234, path: '/usr/bin/sleep' });
    assert.equal(r[4]?.path, '');
  });

  it('dumps readable memory, not [vvar], [vsyscall], unreadable or device mappings, and stops at the size bound', () => {
    const { take, left } = dumpableRegions(parseMaps(MAPS), 1 << 30);
    assert.deepEqual(
      take.map((x) => x.path),
      ['/usr/bin/sleep', '/usr/bin/sleep', '[stack]'],
    );
    assert.equal(left.length, 4);
    const small = dumpableRegions(parseMaps(MAPS), 0x3000);
    assert.deepEqual(
      small.take.map((x) => x.end - x.start),
      [0x2000n],
    );
  });

  it('reads name, parent, ids and resident size from status', () => {
    const s = parseStatus('Name:\tsleep\nState:\tS (sleeping)\nPPid:\t1\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nVmRSS:\t    1024 kB\n');
    assert.deepEqual(s, { name: 'sleep', ppid: 1, uid: '1000\t1000\t1000\t1000', gid: '1000\t1000\t1000\t1000', vmRssKiB: 1024, state: 'S (sleeping)' });
    assert.equal(parseStatus('Name:\tkworker\n').vmRssKiB, null);
  });
});
