// Acceptance: backup create/verify/restore of qubes with data (ext4 private images, a standalone's root), and every tampered file restores nothing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HEADER_BYTES, RECORD_HEADER_BYTES, RecordKind } from '../../src/features/backup/format.js';
import { coreDaemon, lsJson, type CoreDaemon } from './core-fixture.js';

describe('backup create, verify, restore', { timeout: 600_000 }, () => {
  let d: CoreDaemon;
  let dir: string;
  const pass = () => join(dir, 'pass');
  const sh = (name: string, script: string, user = 'root') => d.ok(['run', '--user', user, name, '--', 'sh', '-c', script], undefined, 300_000);
  /** What a qube's home holds: every entry's path, owner, mode, size, link target and content hash. */
  const homeState = (name: string) => sh(name, "cd /home/user && find . -printf '%p %U:%G %m %s %l\\n' | sort && find . -type f -exec sha256sum {} + | sort");
  const qubeNames = () =>
    lsJson(d)
      .map((q) => q.name)
      .sort();
  const rootfsOf = (name: string) => join(d.home, 'qubes', name, 'rootfs');
  /** A host-side tree: every entry's path, owner, mode, size, link target, and every file's hash. */
  const treeState = (dir: string) => {
    const l = spawnSync('sh', ['-c', 'cd "$1" && find . -printf \'%p %U:%G %m %s %l\\n\' | sort && find . -type f -exec sha256sum {} + | sort', 'sh', dir], {
      encoding: 'utf8',
    });
    assert.equal(l.status, 0, l.stderr);
    return l.stdout;
  };
  const poolEntries = () => readdirSync(join(d.home, 'qubes')).sort();
  const mountsBelowHome = () =>
    readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => (l.split(' ')[4] ?? '').startsWith(`${d.home}/`));
  const record = (name: string) => ({
    prefs: JSON.parse(d.ok(['prefs', name, '--json'])) as { name: string; value: unknown; isDefault: boolean }[],
    tags: d.ok(['tags', name]),
    features: d.ok(['features', name]),
    firewall: d.ok(['firewall', name, '--json']),
  });
  /** A record without what a new qube gets anew (uuid, qid). */
  const comparable = (r: ReturnType<typeof record>) => ({ ...r, prefs: r.prefs.filter((p) => !['uuid', 'qid', 'name'].includes(p.name)) });
  let workBefore: string;
  let saBefore: string;
  let workRecord: ReturnType<typeof record>;

  before(async () => {
    d = await coreDaemon('bak');
    dir = join(d.home, 'backups');
    spawnSync('mkdir', ['-m', '0700', dir]);
    writeFileSync(pass(), 'a long passphrase for the test\n', { mode: 0o600 });
    writeFileSync(join(dir, 'wrong'), 'not the passphrase\n', { mode: 0o600 });
    d.ok(['create', 'work', '--template', 'debian-12', '--label', 'red', '--prop', 'private_size=24M', '--prop', 'memory=300']);
    d.ok(['tags', 'work', 'add', 'project-x']);
    d.ok(['features', 'work', 'service.cups', '1']);
    d.ok(['firewall', 'work', 'add', 'action=accept', 'dsthost=10.1.2.3', 'proto=tcp', 'dstports=443']);
    // Incompressible data spanning several 4 MiB chunks, a sparse file, a symlink, root- and user-owned files, a setuid bit.
    sh(
      'work',
      'head -c 9000000 /dev/urandom > /home/user/random && echo hello > /home/user/note && truncate -s 5M /home/user/sparse && ln -s note /home/user/link && mkdir /home/user/d && echo r > /home/user/d/rootfile && chmod 4755 /home/user/d/rootfile && chown user:user /home/user/random /home/user/note',
    );
    workBefore = homeState('work');
    // A tiny template keeps the standalone's and the template's roots small: they are checked on the
    // host (their rootfs/ directories), not by running them.
    const tiny = join(d.home, 'tiny-root');
    for (const sub of ['etc', 'bin']) mkdirSync(join(tiny, sub), { recursive: true });
    writeFileSync(join(tiny, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    writeFileSync(join(tiny, 'etc', 'group'), 'root:x:0:\n');
    writeFileSync(join(tiny, 'etc', 'tiny-marker'), 'tiny\n');
    d.ok(['template', 'import', 'tiny', tiny]);
    d.ok(['create', 'sa', '--class', 'standalone', '--template', 'tiny', '--label', 'green', '--prop', 'private_size=16M', '--prop', 'root_size=16M']);
    writeFileSync(join(rootfsOf('sa'), 'etc', 'sa-marker'), 'standalone-root\n');
    spawnSync('chown', ['-h', '1234:5678', join(rootfsOf('sa'), 'etc', 'sa-marker')]);
    symlinkSync('sa-marker', join(rootfsOf('sa'), 'etc', 'sa-link'));
    saBefore = treeState(rootfsOf('sa'));
    d.ok(['create', 'tapp', '--template', 'tiny', '--label', 'blue']);
    d.ok(['shutdown', 'work']);
    workRecord = record('work');
  });

  after(async () => {
    if (!d) return;
    for (const n of ['work', 'work1']) d.cli(['kill', n]);
    await d.destroy();
  });

  it('refuses a running qube and writes no file', () => {
    d.ok(['start', 'work']);
    const r = d.cli(['backup', 'create', join(dir, 'running.bhb'), 'work', '--passphrase-file', pass()]);
    d.ok(['shutdown', 'work']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /'work' is running/);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f !== 'pass' && f !== 'wrong'),
      [],
    );
  });

  it('backs up an app qube and a standalone, verifies, and restores them after removal', () => {
    const file = join(dir, 'all.bhb');
    // A policy line naming work: recorded in the backup, shown at restore, never applied.
    writeFileSync(join(d.home, 'policy.d', '30-backup-test.policy'), 'qubes.Filecopy * work sa allow\n');
    const out = d.ok(['backup', 'create', file, 'work', 'sa', '--passphrase-file', pass()], undefined, 300_000);
    rmSync(join(d.home, 'policy.d', '30-backup-test.policy'));
    assert.match(out, /backed up sa, work/);
    assert.equal(d.cli(['backup', 'create', file, 'work', '--passphrase-file', pass()]).code === 0, false, 'an existing file is never overwritten');
    const v = d.ok(['backup', 'verify', file, '--passphrase-file', pass()], undefined, 300_000);
    assert.match(v, /qubes: sa \(standalone\), work \(app\)/);
    d.ok(['remove', '--force', 'work', 'sa']);
    assert.deepEqual(
      qubeNames().filter((n) => n === 'work' || n === 'sa'),
      [],
    );
    const r = d.ok(['backup', 'restore', file, '--passphrase-file', pass()], undefined, 300_000);
    assert.match(r, /restored sa \(standalone\)/);
    assert.match(r, /restored work \(app\)/);
    assert.match(r, /work: 30-backup-test\.policy:1: qubes\.Filecopy \* work sa allow/);
    assert.ok(!existsSync(join(d.home, 'policy.d', '30-backup-test.policy')), 'policy is shown, not written');
    assert.deepEqual(comparable(record('work')), comparable(workRecord));
    assert.equal(homeState('work'), workBefore, 'home of work: same entries, owners, modes, sizes, links and contents');
    assert.equal(treeState(rootfsOf('sa')), saBefore, "the standalone's own root: entries, owners, modes, links, contents");
    for (const v of ['private', 'root']) assert.equal(statSync(join(d.home, 'qubes', 'sa', v)).size, 16 * 1024 * 1024, `sa's ${v} image keeps its length`);
    d.ok(['shutdown', 'work']);
    assert.deepEqual(
      poolEntries().filter((e) => e.startsWith('.')),
      [],
      'no staging directory left',
    );
  });

  it('backs up a template when asked, and restores it before the qube that boots from it', () => {
    const file = join(dir, 'tapp.bhb');
    const tinyBefore = treeState(rootfsOf('tiny'));
    d.ok(['backup', 'create', file, 'tapp', '--templates', '--passphrase-file', pass()]);
    assert.match(d.ok(['backup', 'verify', file, '--passphrase-file', pass()]), /qubes: tiny \(template\), tapp \(app\)/);
    d.ok(['remove', '--force', 'tapp', 'sa']);
    d.ok(['remove', '--force', 'tiny']);
    const r = d.ok(['backup', 'restore', file, '--passphrase-file', pass()]);
    assert.match(r, /restored tiny \(template\)\nrestored tapp \(app\)/);
    assert.equal(treeState(rootfsOf('tiny')), tinyBefore);
    assert.equal(lsJson(d).find((q) => q.name === 'tapp')?.template, 'tiny');
  });

  it('a name conflict skips by default and renames on request', () => {
    const file = join(dir, 'work.bhb');
    d.ok(['backup', 'create', file, 'work', '--passphrase-file', pass()], undefined, 300_000);
    const before = qubeNames();
    assert.match(d.ok(['backup', 'restore', file, 'work', '--passphrase-file', pass()]), /skipped work/);
    assert.deepEqual(qubeNames(), before);
    assert.match(d.ok(['backup', 'restore', file, '--rename-conflicts', '--passphrase-file', pass()]), /restored work as work1/);
    assert.equal(homeState('work1'), workBefore);
    assert.equal(d.ok(['firewall', 'work1', '--json']), workRecord.firewall);
    d.ok(['shutdown', 'work1']);
    d.ok(['remove', '--force', 'work1']);
  });

  describe('tampered backups restore nothing', () => {
    let orig: Buffer;
    const file = () => join(dir, 'tamper.bhb');
    /** Records of the file: offset, total length, kind. */
    const records = (b: Buffer) => {
      const out: { at: number; len: number; kind: number }[] = [];
      for (let at = HEADER_BYTES; at < b.length;) {
        const len = RECORD_HEADER_BYTES + b.readUInt32BE(at + 8);
        out.push({ at, len, kind: b[at]! });
        at += len;
      }
      return out;
    };
    before(() => {
      // The backup of work alone (9 MB of random data: three data chunks), with work removed.
      orig = readFileSync(join(dir, 'work.bhb'));
      rmSync(join(dir, 'work.bhb'), { force: true });
      d.ok(['remove', '--force', 'work']);
      assert.ok(records(orig).filter((r) => r.kind === RecordKind.data).length >= 3, 'several data chunks to reorder');
    });

    const cases: [string, (b: Buffer) => Buffer | null, RegExp][] = [
      [
        'a flipped byte in the last chunk',
        (b) => {
          const c = Buffer.from(b);
          c[c.length - 100]! ^= 1;
          return c;
        },
        /failed authentication/,
      ],
      [
        'truncation at a chunk boundary',
        (b) => {
          const rs = records(b);
          return b.subarray(0, rs[rs.length - 2]!.at);
        },
        /truncated/,
      ],
      ['truncation inside a chunk', (b) => b.subarray(0, b.length - 5000), /truncated/],
      [
        'two data chunks swapped',
        (b) => {
          const rs = records(b);
          const data = rs.map((r, i) => [r, i] as const).filter(([r]) => r.kind === RecordKind.data);
          const [[, i], [, j]] = [data[data.length - 3]!, data[data.length - 2]!];
          const parts = rs.map((r) => b.subarray(r.at, r.at + r.len));
          [parts[i], parts[j]] = [parts[j]!, parts[i]!];
          return Buffer.concat([b.subarray(0, HEADER_BYTES), ...parts]);
        },
        /out of place|failed authentication/,
      ],
      ['a wrong passphrase', () => null, /wrong passphrase/],
    ];
    for (const [what, mutate, msg] of cases) {
      it(what, () => {
        const m = mutate(orig);
        writeFileSync(file(), m ?? orig);
        const wrong = join(dir, 'wrong');
        const names = qubeNames();
        const pool = poolEntries();
        const args = ['--passphrase-file', m ? pass() : wrong];
        const v = d.cli(['backup', 'verify', file(), ...args], undefined, 300_000);
        assert.notEqual(v.code, 0);
        assert.match(v.stderr, msg);
        const r = d.cli(['backup', 'restore', file(), ...args], undefined, 300_000);
        assert.notEqual(r.code, 0, r.stdout);
        assert.match(r.stderr, msg);
        assert.equal(
          r.stderr
            .trim()
            .split('\n')
            .filter((l) => l.startsWith('bulkhead:')).length,
          1,
          `one error: ${r.stderr}`,
        );
        assert.doesNotMatch(r.stdout, /restored/);
        assert.deepEqual(qubeNames(), names, 'no qube appeared');
        assert.deepEqual(poolEntries(), pool, 'no volume or staging directory left in the pool');
        assert.deepEqual(mountsBelowHome(), [], 'nothing left mounted');
        assert.ok(!existsSync(join(d.home, 'qubes', 'work')));
      });
    }
  });
});
