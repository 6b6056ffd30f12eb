// Storage on a real file system: volumes, revisions, revert, crash recovery, clone; templates from the cache and a real build.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/exec/index.js';
import {
  buildTemplate,
  cloneQubeVolumes,
  importTemplate,
  commitPrivate,
  createQubeVolumes,
  listRevisions,
  prepareVolumesForStart,
  recoverPool,
  recoverVolumes,
  removeQubeVolumes,
  revertPrivate,
  settleVolumesAfterStop,
  steps,
  volumeInfo,
  volumePaths,
} from '../../src/storage/index.js';
import { fillPrivate, manifest, tempArea } from './storage-helpers.js';

const UID = 300000;

async function ls(dir: string): Promise<string[]> {
  return (await fsp.readdir(dir)).sort();
}

describe('volumes', () => {
  let area = '';
  let pool = '';
  let n = 0;
  /** A fresh qube with a filled private volume. */
  const fresh = async (cls: 'app' | 'template' | 'standalone' | 'disposable' = 'app') => {
    const name = `q${++n}`;
    const p = await createQubeVolumes(pool, name, { class: cls, uidBase: UID });
    await fillPrivate(p.private, UID, name);
    return { name, p };
  };

  before(async () => {
    area = await tempArea('vol');
    pool = join(area, 'qubes');
  });
  after(async () => {
    await fsp.rm(area, { recursive: true, force: true });
  });

  test('create makes the layout with the qube range as owner, once', async () => {
    const p = await createQubeVolumes(pool, 'layout', { class: 'app', uidBase: UID });
    assert.deepEqual(await ls(p.dir), ['private', 'revisions', 'root', 'volatile']);
    assert.deepEqual(await ls(p.root), ['upper', 'work']);
    assert.equal((await fsp.stat(pool)).mode & 0o777, 0o700);
    const priv = await fsp.stat(p.private);
    assert.equal(priv.uid, UID);
    const home = await fsp.stat(p.home);
    assert.deepEqual([home.uid, home.gid, home.mode & 0o777], [UID + 1000, UID + 1000, 0o700]);
    assert.equal((await fsp.stat(p.rootUpper)).uid, UID);
    await assert.rejects(createQubeVolumes(pool, 'layout', { class: 'app' }), { code: 'ERR_QUBE_EXISTS' });
    await assert.rejects(createQubeVolumes(pool, '../evil', { class: 'app' }), { code: 'ERR_INVALID_NAME' });
    assert.deepEqual(
      (await ls(pool)).filter((e) => e.startsWith('.')),
      [],
      'no leftovers in the pool',
    );
  });

  test('commit, change, commit, revert: data byte-identical and nothing lost', async () => {
    const { p } = await fresh();
    const state1 = await manifest(p.private);
    const c1 = await commitPrivate(p.dir, 5);
    assert.ok(c1.revision);
    assert.deepEqual(await manifest(join(p.revisions, c1.revision)), state1, 'revision = live tree at commit');

    // Change the live tree in place (append to a hard-linked file, chmod, delete, add).
    await fsp.appendFile(join(p.home, 'notes.txt'), 'appended in place\n');
    await fsp.chmod(join(p.home, 'blob.bin'), 0o644);
    await fsp.rm(join(p.private, 'suid-tool'));
    await fsp.writeFile(join(p.home, 'new.txt'), 'new');
    const state2 = await manifest(p.private);
    assert.notDeepEqual(state2, state1);
    assert.deepEqual(await manifest(join(p.revisions, c1.revision)), state1, 'in-place writes do not reach the revision');

    const c2 = await commitPrivate(p.dir, 5);
    assert.ok(c2.revision);
    const r = await revertPrivate(p.dir, c1.revision);
    assert.deepEqual(await manifest(p.private), state1, 'reverted to revision 1 exactly (owners, modes, setuid, links)');
    assert.deepEqual(await manifest(join(p.revisions, r.savedAs)), state2, 'the state before the revert is a revision');
    assert.deepEqual(
      (await listRevisions(p.dir)).map((x) => x.name),
      [c1.revision, c2.revision, r.savedAs],
    );

    await revertPrivate(p.dir, r.savedAs);
    assert.deepEqual(await manifest(p.private), state2, 'a revert can be reverted');
    await assert.rejects(revertPrivate(p.dir, 'nope'), { code: 'ERR_INVALID_VALUE', message: /no revision "nope"/ });
    assert.deepEqual(
      (await ls(p.dir)).filter((e) => e.startsWith('.') || e.endsWith('.json')),
      [],
      'no leftovers',
    );
  });

  test('revisions_to_keep is honoured (1 by default, 0 keeps none)', async () => {
    const { p } = await fresh();
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      await fsp.writeFile(join(p.home, 'count'), String(i));
      const c = await commitPrivate(p.dir);
      names.push(c.revision!);
    }
    const revs = await listRevisions(p.dir);
    assert.deepEqual(
      revs.map((r) => r.name),
      [names[2]],
    );
    assert.equal(await fsp.readFile(join(revs[0]!.path, 'home/user/count'), 'utf8'), '2');

    for (let i = 0; i < 4; i++) await commitPrivate(p.dir, 3);
    assert.equal((await listRevisions(p.dir)).length, 3);
    const c0 = await commitPrivate(p.dir, 0);
    assert.equal(c0.revision, null);
    assert.equal(c0.pruned.length, 3);
    assert.deepEqual(await listRevisions(p.dir), []);
    assert.deepEqual(await ls(p.revisions), [], 'pruned revisions leave nothing behind');
    await assert.rejects(commitPrivate(p.dir, -1), { code: 'ERR_INVALID_VALUE' });
  });

  test('crash between commit steps: recovery rolls back an unpublished copy, finishes a deletion', async () => {
    const { p } = await fresh();
    const c1 = await commitPrivate(p.dir, 2);
    const before = await manifest(p.private);
    await fsp.writeFile(join(p.home, 'later'), 'x');
    const live = await manifest(p.private);
    // Crash after step 1 (copy made, not published).
    const rev = await steps.snapshotAside(p.dir);
    assert.ok((await ls(p.revisions)).some((e) => e.startsWith('.incoming-')));
    assert.deepEqual(
      (await listRevisions(p.dir)).map((r) => r.name),
      [c1.revision],
      'an unpublished copy is not a revision',
    );
    // Crash in the middle of pruning: a revision renamed to .trash-, not yet deleted.
    await fsp.rename(join(p.revisions, c1.revision!), join(p.dir, `.trash-${c1.revision}-dead`));
    const report = await recoverVolumes(p.dir);
    assert.equal(report.rolledBack.length, 1, JSON.stringify(report));
    assert.equal(report.finished.length, 1, JSON.stringify(report));
    assert.deepEqual(await ls(p.revisions), []);
    assert.ok(!(await ls(p.dir)).some((e) => e.startsWith('.')));
    assert.deepEqual(await manifest(p.private), live, 'live tree untouched');
    assert.notDeepEqual(live, before);
    // Crash after step 2 (published, prune not run): a complete new revision.
    await steps.publishSnapshot(p.dir, (await steps.snapshotAside(p.dir)) ?? rev);
    await recoverVolumes(p.dir);
    const revs = await listRevisions(p.dir);
    assert.equal(revs.length, 1);
    assert.deepEqual(await manifest(revs[0]!.path), live);
    assert.deepEqual(await recoverVolumes(p.dir), { finished: [], rolledBack: [] }, 'idempotent');
  });

  // A revert stopped after each of its steps; recovery must give the old or the new state whole.
  const revertStops = ['prepareRestore', 'writeJournal', 'swapOutCurrent', 'swapInRestored'] as const;
  for (const stopAfter of revertStops) {
    test(`crash during revert after ${stopAfter}: recovery leaves one complete state`, async () => {
      const { p } = await fresh();
      const c1 = await commitPrivate(p.dir, 5);
      const old = await manifest(p.private);
      await fsp.writeFile(join(p.home, 'notes.txt'), 'changed after the revision\n');
      await fsp.mkdir(join(p.private, 'more'));
      const current = await manifest(p.private);

      const saveAs = '2030-01-01T00-00-00.000Z';
      const order = ['prepareRestore', 'writeJournal', 'swapOutCurrent', 'swapInRestored'];
      const doStep = async (s: string) => {
        if (s === 'prepareRestore') await steps.prepareRestore(p.dir, c1.revision!);
        if (s === 'writeJournal') await steps.writeJournal(p.dir, c1.revision!, saveAs);
        if (s === 'swapOutCurrent') await steps.swapOutCurrent(p.dir, saveAs);
        if (s === 'swapInRestored') await steps.swapInRestored(p.dir);
      };
      for (const s of order.slice(0, order.indexOf(stopAfter) + 1)) await doStep(s);

      const report = await recoverVolumes(p.dir);
      const after = await manifest(p.private);
      if (stopAfter === 'prepareRestore') {
        assert.deepEqual(after, current, 'intent not recorded: rolled back to the state before');
        assert.equal(report.rolledBack.length, 1);
        assert.deepEqual(
          (await listRevisions(p.dir)).map((r) => r.name),
          [c1.revision],
        );
      } else {
        assert.deepEqual(after, old, 'intent recorded: rolled forward to the revision');
        assert.deepEqual(await manifest(join(p.revisions, saveAs)), current, 'previous state kept as a revision');
        assert.equal(report.finished.length, 1);
      }
      assert.deepEqual(await manifest(join(p.revisions, c1.revision!)), old, 'the revision itself never changes');
      assert.deepEqual(
        (await ls(p.dir)).filter((e) => e.startsWith('.') || e.endsWith('.json')),
        [],
      );
    });
  }

  test('recoverPool removes half-made qube directories and unfinished deletions', async () => {
    await fsp.mkdir(join(pool, '.creating-half-0000', 'private'), { recursive: true });
    await fsp.mkdir(join(pool, '.trash-gone-0000', 'private'), { recursive: true });
    const rep = await recoverPool(pool);
    assert.ok(rep['.creating-half-0000'] && rep['.trash-gone-0000']);
    assert.ok(!(await ls(pool)).some((e) => e.startsWith('.')));
  });

  test('clone copies current data (not revisions) and moves owners to the new range', async () => {
    const { name, p } = await fresh('standalone');
    await fsp.writeFile(join(p.rootUpper, 'installed-in-root'), 'pkg');
    await fsp.lchown(join(p.rootUpper, 'installed-in-root'), UID, UID);
    await commitPrivate(p.dir);
    const d = await cloneQubeVolumes(pool, name, 'clone1', { class: 'standalone', fromUidBase: UID, toUidBase: 400000 });
    const shift = (lines: string[]) =>
      lines.map((l) =>
        l.replace(/ (\d+):(\d+) /, (_m, u: string, g: string) => {
          const f = (x: number) => (x >= UID && x < UID + 65536 ? x - UID + 400000 : x);
          return ` ${f(Number(u))}:${f(Number(g))} `;
        }),
      );
    assert.deepEqual(await manifest(d.private), shift(await manifest(p.private)), 'same data, owners moved, setuid kept');
    assert.equal((await fsp.stat(join(d.private, 'suid-tool'))).mode & 0o7777, 0o4755);
    assert.equal(await fsp.readFile(join(d.rootUpper, 'installed-in-root'), 'utf8'), 'pkg', 'persistent root copied');
    assert.deepEqual(await listRevisions(d.dir), []);
    await assert.rejects(cloneQubeVolumes(pool, name, 'clone1'), { code: 'ERR_QUBE_EXISTS' });
    await assert.rejects(cloneQubeVolumes(pool, 'absent', 'clone2'), { code: 'ERR_NO_SUCH_QUBE' });
    assert.ok(!(await ls(pool)).some((e) => e.startsWith('.')));
  });

  test('start/stop: app root and volatile are discarded, template root kept, private committed', async () => {
    const app = await fresh('app');
    const tpl = await fresh('template');
    for (const q of [app, tpl]) {
      await prepareVolumesForStart(pool, q.name, { class: q.name === app.name ? 'app' : 'template', uidBase: UID });
      await fsp.writeFile(join(q.p.rootUpper, 'written-to-root'), 'x');
      await fsp.writeFile(join(q.p.volatile, 'scratch'), 'x');
    }
    const ca = await settleVolumesAfterStop(pool, app.name, { class: 'app' });
    const ct = await settleVolumesAfterStop(pool, tpl.name, { class: 'template', revisionsToKeep: 2 });
    assert.ok(ca?.revision && ct?.revision);
    assert.deepEqual(await ls(app.p.rootUpper), [], 'app root discarded');
    assert.deepEqual(await ls(tpl.p.rootUpper), ['written-to-root'], 'template root kept');
    for (const q of [app, tpl]) {
      assert.deepEqual(await ls(q.p.volatile), []);
      assert.equal((await fsp.stat(q.p.rootUpper)).uid, UID, 'owner kept on the fresh upper');
    }
    const disp = await fresh('disposable');
    assert.equal(await settleVolumesAfterStop(pool, disp.name, { class: 'disposable' }), null, 'a disposable keeps no revisions');
    assert.deepEqual(await listRevisions(disp.p.dir), []);
  });

  test('volume info sizes agree with du; remove leaves nothing', async () => {
    const { name, p } = await fresh();
    await commitPrivate(p.dir);
    const info = await volumeInfo(pool, name, 'app');
    const priv = info.volumes.find((v) => v.kind === 'private')!;
    const du = (await run('du', ['-s', '--block-size=1', p.private])).stdout.split('\t')[0];
    const duApparent = (await run('du', ['-s', '-b', p.private])).stdout.split('\t')[0];
    assert.equal(priv.usage.diskBytes, Number(du));
    assert.equal(priv.usage.apparentBytes, Number(duApparent));
    assert.ok(priv.usage.apparentBytes > 1 << 20);
    assert.equal(priv.revisions?.length, 1);
    assert.equal(priv.revisions![0]!.usage.apparentBytes, priv.usage.apparentBytes);
    assert.equal(info.volumes.find((v) => v.kind === 'root')!.persistent, false);
    assert.equal(await removeQubeVolumes(pool, name), true);
    assert.equal(await removeQubeVolumes(pool, name), false);
    await assert.rejects(volumeInfo(pool, name, 'app'), { code: 'ERR_NO_SUCH_QUBE' });
    assert.ok(!(await ls(pool)).includes(name));
    assert.ok(!(await ls(pool)).some((e) => e.startsWith('.')));
    assert.equal(volumePaths(pool, name).dir, p.dir);
  });
});

describe('templates', () => {
  let area = '';
  let cache = '';
  let built = '';
  let fakeBin = '';
  const savedPath = process.env.PATH;
  /** A fake mmdebstrap first on PATH: records that it ran and fails like a broken mirror would. */
  const withFakeMmdebstrap = async <T>(fn: (marker: string) => Promise<T>): Promise<T> => {
    const marker = join(area, 'mmdebstrap-ran');
    await fsp.writeFile(
      join(fakeBin, 'mmdebstrap'),
      `#!/bin/sh\ntouch ${marker}\necho 'I: running apt-get update...' >&2\necho 'E: cannot reach the mirror (fake)' >&2\nexit 1\n`,
      { mode: 0o755 },
    );
    process.env.PATH = `${fakeBin}:${savedPath}`;
    try {
      return await fn(marker);
    } finally {
      process.env.PATH = savedPath;
    }
  };
  const leftovers = async (dir: string) => (await ls(dir)).filter((e) => e.startsWith('.'));

  /** A minimal fake root (enough for validation, not for running anything). */
  const fakeRoot = async (dir: string) => {
    await fsp.mkdir(join(dir, 'usr/bin'), { recursive: true });
    await fsp.mkdir(join(dir, 'etc/skel'), { recursive: true });
    await fsp.symlink('usr/bin', join(dir, 'bin'));
    await fsp.writeFile(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    await fsp.writeFile(join(dir, 'etc/group'), 'root:x:0:\n');
    await fsp.writeFile(join(dir, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o640 });
    await fsp.writeFile(join(dir, 'etc/skel/.bashrc'), '# skel\n');
    await fsp.writeFile(join(dir, 'usr/bin/tool'), '#!/bin/sh\n', { mode: 0o4755 });
  };

  before(async () => {
    area = await tempArea('tpl');
    cache = join(area, 'cache');
    fakeBin = join(area, 'fakebin');
    await fsp.mkdir(fakeBin);
  });
  after(async () => {
    process.env.PATH = savedPath;
    await fsp.rm(area, { recursive: true, force: true });
  });

  test('a real build of debian-12: packages, user, layout, progress, cache entry', async (t) => {
    built = join(area, 'debian-12', 'rootfs');
    const phases: string[] = [];
    let last = -1;
    const r = await buildTemplate({
      name: 'debian-12',
      destDir: built,
      cacheDir: cache,
      onProgress: (p) => {
        assert.ok(p.done >= last, 'progress moves forward');
        last = p.done;
        if (phases.at(-1) !== p.phase) phases.push(p.phase);
      },
    });
    assert.equal(r.fromCache, false);
    assert.equal(r.rootDir, built);
    for (const ph of ['download', 'essential', 'install', 'customize', 'tarball', 'extract-root', 'done']) {
      assert.ok(phases.includes(ph), `phase ${ph} reported (saw ${phases.join(',')})`);
    }
    for (const bin of ['curl', 'python3', 'ping', 'ip', 'ps', 'dig', 'nc']) {
      const res = await run('chroot', [built, 'sh', '-c', `command -v ${bin}`], { allowFail: true });
      assert.equal(res.code, 0, `${bin} is in the template`);
    }
    assert.match((await run('chroot', [built, 'python3', '-c', 'print(6*7)'])).stdout, /^42$/m);
    assert.match((await run('chroot', [built, 'id', 'user'])).stdout, /^uid=1000\(user\) gid=1000\(user\)/);
    const home = await fsp.stat(join(built, 'home/user'));
    assert.deepEqual([home.uid, home.gid], [1000, 1000]);
    for (const d of ['rw', 'run/bulkhead', 'etc/qubes-rpc']) assert.ok((await fsp.stat(join(built, d))).isDirectory(), d);
    assert.equal(await fsp.readFile(join(built, 'etc/hostname'), 'utf8'), 'debian-12\n');
    assert.equal((await fsp.stat(join(built, 'usr/bin/su'))).mode & 0o7777, 0o4755, 'setuid kept');
    const cap = await run('python3', ['-c', `import os; print(os.getxattr(${JSON.stringify(join(built, 'usr/bin/ping'))}, 'security.capability').hex())`], {
      allowFail: true,
    });
    // ping's cap_net_raw is dropped on purpose: a qube's bounding set lacks NET_RAW, and without the
    // file capability ping uses ICMP echo sockets (see ensureLayout).
    assert.notEqual(cap.code, 0, 'ping has no file capability');
    assert.match(cap.stderr, /No data available/);
    assert.deepEqual((await ls(cache)).sort(), [basenameOf(r.tarball).replace(/\.tar$/, '.json'), basenameOf(r.tarball)].sort());
    assert.deepEqual(await leftovers(join(area, 'debian-12')), []);
    t.diagnostic(`real build: ${r.seconds.toFixed(1)} s, ${r.packages.length} packages requested`);
  });

  test('a second build reuses the cached tarball without running mmdebstrap', async (t) => {
    await withFakeMmdebstrap(async (marker) => {
      const phases: string[] = [];
      const r = await buildTemplate({ name: 'debian-12', destDir: join(area, 'again', 'rootfs'), cacheDir: cache, onProgress: (p) => phases.push(p.phase) });
      assert.equal(r.fromCache, true);
      assert.equal(
        await fsp.stat(marker).then(
          () => true,
          () => false,
        ),
        false,
        'mmdebstrap did not run',
      );
      assert.equal(phases[0], 'cache');
      assert.ok(r.seconds < 20, `cache hit took ${r.seconds} s`);
      assert.match((await run('chroot', [r.rootDir, 'curl', '--version'])).stdout, /^curl /);
      t.diagnostic(`cached build: ${r.seconds.toFixed(1)} s`);
    });
  });

  test('a failed build leaves nothing and keeps the cache', async () => {
    const before = await ls(cache);
    await withFakeMmdebstrap(async (marker) => {
      const dest = join(area, 'failed', 'rootfs');
      await assert.rejects(buildTemplate({ name: 'debian-12', destDir: dest, cacheDir: cache, refresh: true }), {
        code: 'ERR_TEMPLATE',
        message: /mmdebstrap failed \(exit 1\): E: cannot reach the mirror/,
      });
      assert.ok(await fsp.stat(marker).then(() => true), 'the fake ran');
      assert.equal(
        await fsp.stat(dest).then(
          () => true,
          () => false,
        ),
        false,
      );
      assert.deepEqual(await leftovers(join(area, 'failed')).catch(() => []), []);
    });
    assert.deepEqual(await ls(cache), before, 'no partial tarball, cached one intact');
    await assert.rejects(buildTemplate({ name: 'nosuch', destDir: join(area, 'x', 'rootfs'), cacheDir: cache }), {
      code: 'ERR_TEMPLATE',
      message: /unknown template "nosuch"/,
    });
    await assert.rejects(buildTemplate({ name: 'debian-12', destDir: built, cacheDir: cache }), { code: 'ERR_TEMPLATE', message: /already exists/ });
  });

  test('import from the cached tarball gives the same root as the build', async (t) => {
    const tarball = (await ls(cache)).find((n) => n.endsWith('.tar'))!;
    const dest = join(area, 'imported', 'rootfs');
    const r = await importTemplate(join(cache, tarball), dest, { hostname: 'debian-12' });
    assert.equal(r.rootDir, dest);
    assert.deepEqual(await manifest(dest), await manifest(built));
    assert.deepEqual(await leftovers(join(area, 'imported')), []);
    t.diagnostic(`import of the tarball: ${r.seconds.toFixed(1)} s`);
  });

  test('import from a directory and a .tar.gz adds the user and the layout', async () => {
    const src = join(area, 'fake-src');
    await fakeRoot(src);
    const gz = join(area, 'fake.tar.gz');
    await run('tar', ['--numeric-owner', '-czf', gz, '-C', src, '.']);
    for (const [from, to] of [
      [src, join(area, 'fromdir', 'rootfs')],
      [gz, join(area, 'fromgz', 'rootfs')],
    ] as const) {
      await importTemplate(from, to);
      assert.match(await fsp.readFile(join(to, 'etc/passwd'), 'utf8'), /\nuser:x:1000:1000::\/home\/user:\/bin\/bash\n/);
      assert.match(await fsp.readFile(join(to, 'etc/shadow'), 'utf8'), /\nuser:\*:/);
      assert.equal(await fsp.readFile(join(to, 'home/user/.bashrc'), 'utf8'), '# skel\n');
      assert.equal((await fsp.stat(join(to, 'home/user/.bashrc'))).uid, 1000);
      assert.equal((await fsp.stat(join(to, 'usr/bin/tool'))).mode & 0o7777, 0o4755);
      assert.equal(await fsp.readFile(join(to, 'etc/hostname'), 'utf8'), 'localhost\n');
    }
    assert.equal(await fsp.readFile(join(src, 'etc/passwd'), 'utf8'), 'root:x:0:0:root:/root:/bin/bash\n', 'the source is untouched');
  });

  test('a failed import is refused clearly and leaves nothing', async () => {
    const parent = join(area, 'bad');
    const dest = join(parent, 'rootfs');
    const notRoot = join(area, 'not-a-root');
    await fsp.mkdir(join(notRoot, 'stuff'), { recursive: true });
    const notTar = join(area, 'not.tar');
    await fsp.writeFile(notTar, 'this is not a tarball\n');
    const emptyTar = join(area, 'noetc.tar');
    await run('tar', ['-cf', emptyTar, '-C', notRoot, '.']);
    // A root whose /etc/hostname points at a file of the host: writing through it is refused.
    const evil = join(area, 'evil-root');
    await fakeRoot(evil);
    const victim = join(area, 'victim');
    await fsp.writeFile(victim, 'host file\n');
    await fsp.symlink(victim, join(evil, 'etc/hostname'));
    const etcLink = join(area, 'etc-link-root');
    await fsp.mkdir(join(etcLink, 'usr/bin'), { recursive: true });
    await fsp.symlink('/etc', join(etcLink, 'etc'));

    const cases: [string, RegExp][] = [
      [notRoot, /does not look like a root filesystem: no \/etc, no \/bin or \/usr\/bin directory/],
      [notTar, /not\.tar: cannot extract as a tar archive/],
      [emptyTar, /does not look like a root filesystem/],
      [join(area, 'absent'), /absent: no such file or directory/],
      [evil, /\/etc\/hostname .*symlink.*refusing to write through it/],
      [etcLink, /no \/etc directory/],
    ];
    for (const [src, msg] of cases) {
      await assert.rejects(importTemplate(src, dest), { code: 'ERR_TEMPLATE', message: msg }, src);
      assert.equal(
        await fsp.stat(dest).then(
          () => true,
          () => false,
        ),
        false,
        `${src}: nothing installed`,
      );
      assert.deepEqual(await leftovers(parent).catch(() => []), [], `${src}: no leftovers`);
    }
    assert.equal(await fsp.readFile(victim, 'utf8'), 'host file\n', 'the host file was not written');
    await assert.rejects(importTemplate(built, built), { code: 'ERR_TEMPLATE', message: /already exists/ });
  });
});

function basenameOf(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}
