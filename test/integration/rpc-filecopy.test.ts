// qubes.Filecopy through the broker between real qubes: every unsafe name refused with nothing written outside, 1 GiB byte-identical.
import assert from 'node:assert/strict';
import { lstatSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NAME_CASES, toBytes } from '../../src/filecopy/cases.js';
import { decodeResult, encodeStream, type Entry } from '../../src/filecopy/index.js';
import { connectAs, rawCall, rpcWorld, type RpcWorld } from './rpc-helpers.js';
import { livePrivateTree } from './helpers/private-volume.js';

/** Every path below dir (files, dirs, links), relative, with type and size. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      const st = lstatSync(p);
      out.push(`${relative(dir, p)} ${st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : 'f'} ${st.isFile() ? st.size : ''}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

describe('file copy between qubes through the broker', { timeout: 900_000 }, () => {
  let w: RpcWorld;
  let home: string;
  before(async () => {
    w = await rpcWorld('rpccopy', ['work', 'personal']);
    home = livePrivateTree(join(w.d.home, 'qubes', 'personal'));
  });
  after(async () => {
    await w?.d.destroy();
  });

  it('each unsafe name form is refused and nothing is written outside the incoming directory', async () => {
    const unsafe = NAME_CASES.filter((c) => !c.ok);
    assert.ok(unsafe.length >= 30, `${unsafe.length} unsafe cases`);
    const beforeTree = tree(home);
    for (const c of unsafe) {
      const name = toBytes(c.name);
      const entry: Entry = c.target === undefined ? { kind: 'file', name, data: Buffer.from('payload') } : { kind: 'symlink', name, target: toBytes(c.target) };
      // a legitimate directory first, so symlink cases have somewhere to land if they were accepted
      const stream = encodeStream([{ kind: 'dir', name: 'd' }, { kind: 'dir', name: 'd/e' }, entry]);
      const r = await rawCall(w.socketOf('work'), { as: w.rootOf('work'), target: 'personal', service: 'qubes.Filecopy', stdin: stream });
      assert.equal(r.error, null, `${c.why}: ${JSON.stringify(r.error)}`);
      assert.notEqual(r.exit, 0, `${c.why}: the receiver must fail`);
      const answer = decodeResult(r.stdout);
      assert.notEqual(answer.errno, 0, `${c.why}: the answer reports an error`);
      // whatever the receiver created lives under QubesIncoming/work; clear it for the next case
      const after = tree(home).filter((l) => !l.startsWith('home/user/QubesIncoming'));
      assert.deepEqual(
        after,
        beforeTree.filter((l) => !l.startsWith('home/user/QubesIncoming')),
        `${c.why}: nothing outside the incoming directory`,
      );
      const inc = join(home, 'home', 'user', 'QubesIncoming', 'work');
      const leftovers = tree(inc).filter((l) => !/^d( |\/e )/.test(l));
      assert.deepEqual(leftovers, [], `${c.why}: only the legitimate directories arrived`);
      w.d.ok(['run', 'personal', '--', 'rm', '-rf', '/home/user/QubesIncoming']);
    }
  });

  it('a crafted stream that climbs through a symlink sent earlier writes nothing outside', async () => {
    const stream = encodeStream([
      { kind: 'dir', name: 'd' },
      { kind: 'symlink', name: 'd/up', target: '.' },
      { kind: 'file', name: 'd/up/../../../escaped', data: Buffer.from('x') },
    ]);
    const r = await rawCall(w.socketOf('work'), { as: w.rootOf('work'), target: 'personal', service: 'qubes.Filecopy', stdin: stream });
    assert.notEqual(r.exit, 0);
    assert.equal(
      tree(home).some((l) => l.includes('escaped')),
      false,
    );
    w.d.ok(['run', 'personal', '--', 'rm', '-rf', '/home/user/QubesIncoming']);
  });

  it('a malformed frame in the middle of a copy cuts the call, and the broker keeps serving', async () => {
    const { encodeCall, encodeData, encodeHello, FrameType } = await import('../../src/features/rpc/frame.js');
    const s = connectAs(w.socketOf('work'), w.rootOf('work'));
    const bad = Buffer.from([3, 1, 0, 0, 4, 0, 0, 0, 1, 2, 3, 4]); // STDIN with a reserved byte set
    s.write(Buffer.concat([encodeHello(), encodeCall('personal', 'qubes.Filecopy'), ...encodeData(FrameType.STDIN, Buffer.alloc(100_000, 7)), bad]));
    s.onData(() => undefined);
    assert.equal((await s.closed).connected, true);
    const ok = w.d.cli(['run', 'work', '--', 'qrexec-client-vm', 'personal', 'bulkhead.Echo'], 'still here\n');
    assert.equal(ok.stdout, 'still here\n', ok.stderr);
    assert.equal(
      tree(home).some((l) => l.startsWith('home/user/QubesIncoming/work/') && !l.startsWith('home/user/QubesIncoming/work ')),
      false,
      'no partial file is visible',
    );
    w.d.ok(['run', 'personal', '--', 'rm', '-rf', '/home/user/QubesIncoming']);
  });

  it('a 1 GiB copy arrives byte-identical', (t) => {
    const src = w.d.ok(['run', 'work', '--', 'sh', '-c', 'head -c 1073741824 /dev/urandom > /home/user/big && sha256sum /home/user/big'], undefined, 300_000);
    const t0 = process.hrtime.bigint();
    const r = w.d.cli(['run', 'work', '--', 'qvm-copy-to-vm', 'personal', '/home/user/big'], undefined, 600_000);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    assert.equal(r.code, 0, r.stderr);
    const dst = w.d.ok(['run', 'personal', '--', 'sha256sum', '/home/user/QubesIncoming/work/big'], undefined, 300_000);
    assert.equal(dst.split(' ')[0], src.split(' ')[0]);
    t.diagnostic(`1 GiB qube to qube in ${secs.toFixed(2)} s (${(1073.741824 / secs).toFixed(0)} MB/s, including the receiver's syncfs)`);
  });
});
