// Template updates reach app qubes (issue 8, item 5): a template's changes become its app qubes' root at their next start; earlier roots kept, revertable, crash-safe.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, promises as fsp, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { commitTemplateRoot, listRootRevisions, recoverVolumes, revertTemplateRoot, rootSteps, volumePathsOf } from '../../src/storage/index.js';
import { makeImage } from '../../src/storage/image.js';
import { CLI } from './helpers/daemon.js';
import { coreDaemon, type CoreDaemon } from './core-fixture.js';
import { manifest, tempArea } from './storage-helpers.js';

const UID_BASE = 3_000_000;
const sh = (args: string[]) => {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const leftovers = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('.') || n.endsWith('.journal.json'));
const mountedBelow = (dir: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.split(' ')[4]?.startsWith(dir));

/**
 * A template volume directory on disk whose upper holds what a template's writes leave there:
 * changed and new files (owned by the template's uid range), a whiteout, an opaque directory.
 * Made through a real overlay, so the kernel writes the whiteout and the opaque mark.
 */
async function fakeTemplate(area: string): Promise<string> {
  const dir = join(area, 'tpl');
  const p = volumePathsOf(dir);
  for (const d of [p.rootfs, p.rootUpper, p.rootWork, p.private, join(area, 'mnt')]) await fsp.mkdir(d, { recursive: true });
  const f = (rel: string, text: string) => fsp.mkdir(join(p.rootfs, rel, '..'), { recursive: true }).then(() => fsp.writeFile(join(p.rootfs, rel), text));
  await f('etc/a', 'a v1\n');
  await f('etc/gone', 'deleted by the template\n');
  await f('usr/lib/b', 'b v1\n');
  await f('opt/dir/x', 'x\n');
  await f('opt/dir/y', 'y\n');
  await fsp.symlink('../usr/lib/b', join(p.rootfs, 'etc/b-link'));
  await fsp.lchown(join(p.rootfs, 'usr/lib/b'), 1000, 1000);
  const mnt = join(area, 'mnt');
  sh(['mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=${p.rootfs},upperdir=${p.rootUpper},workdir=${p.rootWork}`, mnt]);
  try {
    await fsp.writeFile(join(mnt, 'etc/a'), 'a v2\n');
    await fsp.rm(join(mnt, 'etc/gone'));
    await fsp.mkdir(join(mnt, 'usr/local/share'), { recursive: true });
    await fsp.writeFile(join(mnt, 'usr/local/share/new'), 'new v2\n');
    await fsp.rm(join(mnt, 'opt/dir'), { recursive: true });
    await fsp.mkdir(join(mnt, 'opt/dir'));
    await fsp.writeFile(join(mnt, 'opt/dir/z'), 'z\n');
  } finally {
    sh(['umount', mnt]);
  }
  // The template writes as its root (host uid UID_BASE) and its user (UID_BASE + 1000).
  for (const rel of ['etc/a', 'opt/dir/z', 'opt/dir']) await fsp.lchown(join(p.rootUpper, rel), UID_BASE, UID_BASE);
  await fsp.lchown(join(p.rootUpper, 'usr/local/share/new'), UID_BASE + 1000, UID_BASE + 1000);
  assert.ok((await fsp.lstat(join(p.rootUpper, 'etc/gone'))).isCharacterDevice(), 'the overlay wrote a whiteout');
  return dir;
}

/** Loop devices whose backing file is below `dir`. */
const loopsBelow = (dir: string) =>
  sh(['losetup', '-n', '-O', 'NAME,BACK-FILE', '--list'])
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length === 2 && f[1]!.startsWith(`${dir}/`))
    .map((f) => f[0]!);

/** The template's root volume as an ext4 image (what a template made with root_size has) holding the upper and work of the directory. */
async function rootToImage(dir: string): Promise<void> {
  const p = volumePathsOf(dir);
  await makeImage(`${p.root}.img`, 64 * 1024 * 1024, p.root, { uid: 0, gid: 0 });
  await fsp.rm(p.root, { recursive: true });
  await fsp.rename(`${p.root}.img`, p.root);
}

/** Run `fn` on the upper of a volume directory: the directory, or inside the image mounted (read-write only when asked). An absent upper reads as empty. */
async function withUpperTree<T>(dir: string, fn: (upper: string) => Promise<T>, rw = false): Promise<T> {
  const p = volumePathsOf(dir);
  if (!(await fsp.lstat(p.root)).isFile()) return fn(p.rootUpper);
  const mnt = await fsp.mkdtemp(join(dir, '..', 'look-'));
  sh(['mount', '-t', 'ext4', '-o', `loop,nosuid,nodev,${rw ? 'rw' : 'ro,noload'}`, p.root, mnt]);
  try {
    return await fn(join(mnt, 'upper'));
  } finally {
    sh(['umount', mnt]);
    await fsp.rmdir(mnt);
  }
}
const upperManifest = (dir: string) => withUpperTree(dir, async (u) => (existsSync(u) ? manifest(u) : []));
const upperEntries = (dir: string) => withUpperTree(dir, async (u) => (existsSync(u) ? fsp.readdir(u) : []));

for (const kind of ['directory', 'image'] as const)
  describe(`template root commits on disk (root volume: ${kind}): content, owners, crash at every step`, { timeout: 300_000 }, () => {
    let area = '';
    let fixture = '';
    let oldRoot: string[] = [];
    let oldUpper: string[] = [];
    let newRoot: string[] = [];
    let n = 0;
    const fresh = () => {
      const d = join(area, `copy${n++}`);
      sh(['cp', '-a', fixture, d]);
      return d;
    };

    before(async () => {
      area = await tempArea(`tplroot-${kind}`);
      fixture = await fakeTemplate(area);
      oldUpper = await manifest(volumePathsOf(fixture).rootUpper);
      if (kind === 'image') {
        await rootToImage(fixture);
        assert.deepEqual(await upperManifest(fixture), oldUpper, 'the image holds the upper as it was (whiteout and opaque mark included)');
      }
      oldRoot = await manifest(volumePathsOf(fixture).rootfs);
      const c = fresh();
      const r = await commitTemplateRoot(c, { uidBase: UID_BASE, keep: 1, inUse: new Set() });
      assert.ok(r.savedAs);
      newRoot = await manifest(volumePathsOf(c).rootfs);
      assert.deepEqual(await manifest(join(volumePathsOf(c).rootRevisions, r.savedAs!)), oldRoot, 'the previous root is kept unchanged');
      assert.deepEqual(await upperEntries(c), [], 'the upper is empty after the commit');
      assert.deepEqual(loopsBelow(area), [], 'the commit released the image');
      // Unchanged files share their inode with the kept root; changed ones are new files.
      const ino = async (root: string, rel: string) => (await fsp.lstat(join(root, rel))).ino;
      const kept = join(volumePathsOf(c).rootRevisions, r.savedAs!);
      assert.equal(await ino(volumePathsOf(c).rootfs, 'usr/lib/b'), await ino(kept, 'usr/lib/b'));
      assert.notEqual(await ino(volumePathsOf(c).rootfs, 'etc/a'), await ino(kept, 'etc/a'));
    });
    after(async () => {
      for (const l of mountedBelow(area)) sh(['umount', l.split(' ')[4]!]);
      if (area) await fsp.rm(area, { recursive: true, force: true });
    });

    it('the new root is the merged view: changes, new files, deletions, opaque directories; owners in the real range', () => {
      const line = (rel: string) => newRoot.find((l) => l.startsWith(`${rel} `));
      assert.match(line('etc/a') ?? '', / 644 0:0 f 5 /);
      assert.match(line('usr/local/share/new') ?? '', / 1000:1000 f 7 /);
      assert.equal(line('etc/gone'), undefined, 'a whiteout deletes');
      assert.deepEqual(
        newRoot.filter((l) => l.startsWith('opt/dir/')).map((l) => l.split(' ')[0]),
        ['opt/dir/z'],
        'an opaque directory hides the old entries',
      );
      assert.match(line('usr/lib/b') ?? '', / 1000:1000 f /, 'untouched files keep their owners');
      assert.match(line('etc/b-link') ?? '', / l \.\.\/usr\/lib\/b$/);
      assert.ok(!newRoot.some((l) => / \? /.test(l)), 'no whiteout or device node is left in the root');
      assert.ok(!newRoot.some((l) => / 3\d{6}:/.test(l)), 'no owner of the template uid range is left');
    });

    const commitOrder = ['buildMerged', 'writeJournal', 'saveCurrent', 'publishMerged', 'emptyUpper'] as const;
    for (const stopAfter of commitOrder) {
      it(`crash during a root commit after ${stopAfter}: recovery leaves the old or the new root, never a mix`, async () => {
        const dir = fresh();
        const p = volumePathsOf(dir);
        const saveAs = '2030-01-01T00-00-00.000Z';
        let incoming = '';
        for (const s of commitOrder) {
          if (s === 'buildMerged') incoming = await rootSteps.buildMerged(dir, UID_BASE);
          if (s === 'writeJournal') await rootSteps.writeJournal(dir, { op: 'root-commit', version: 1, incoming, saveAs });
          if (s === 'saveCurrent') await rootSteps.saveCurrent(dir, saveAs);
          if (s === 'publishMerged') await rootSteps.publishMerged(dir, incoming);
          if (s === 'emptyUpper') await rootSteps.emptyUpper(dir);
          if (s === stopAfter) break;
        }
        await recoverVolumes(dir);
        const rolledBack = stopAfter === 'buildMerged';
        assert.deepEqual(await manifest(p.rootfs), rolledBack ? oldRoot : newRoot);
        if (rolledBack) {
          assert.deepEqual(await upperManifest(dir), oldUpper, 'the upper is untouched');
          assert.deepEqual(await listRootRevisions(dir), []);
        } else {
          assert.deepEqual(await upperEntries(dir), []);
          assert.deepEqual(await manifest(join(p.rootRevisions, saveAs)), oldRoot);
        }
        assert.deepEqual(leftovers(dir), []);
        assert.deepEqual(mountedBelow(dir), []);
        assert.deepEqual(loopsBelow(dir), []);
        if (kind === 'image') assert.ok((await fsp.lstat(p.root)).isFile(), 'the root volume is still an image');
        // A commit after recovery works (and finds nothing more to do when rolled forward).
        const again = await commitTemplateRoot(dir, { uidBase: UID_BASE, keep: 5, inUse: new Set() });
        assert.equal(again.savedAs === null, !rolledBack);
        assert.deepEqual(await manifest(p.rootfs), newRoot);
      });
    }

    it('a crash with the merged view still mounted: recovery unmounts it and keeps the old root', async () => {
      const dir = fresh();
      const p = volumePathsOf(dir);
      const mnt = join(dir, '.root-merge-crashed');
      await fsp.mkdir(mnt);
      let upper = p.rootUpper;
      if (kind === 'image') {
        // As the commit mounts it: below a shared bind mount of its own directory.
        const img = join(dir, '.root-image-crashed');
        await fsp.mkdir(join(img, 'fs'), { recursive: true });
        sh(['mount', '--bind', img, img]);
        sh(['mount', '--make-shared', img]);
        sh(['mount', '-t', 'ext4', '-o', 'loop,ro,nosuid,nodev,noexec', p.root, join(img, 'fs')]);
        upper = join(img, 'fs', 'upper');
        assert.equal(loopsBelow(dir).length, 1);
      }
      sh(['mount', '-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${upper}:${p.rootfs}`, mnt]);
      sh(['cp', '-a', p.rootfs, join(dir, '.incoming-rootfs-commit-half')]);
      assert.equal(mountedBelow(dir).length, kind === 'image' ? 3 : 1);
      await recoverVolumes(dir);
      assert.deepEqual(mountedBelow(dir), []);
      assert.deepEqual(loopsBelow(dir), [], 'the loop device is released');
      assert.deepEqual(leftovers(dir), []);
      assert.deepEqual(await manifest(p.rootfs), oldRoot);
      assert.deepEqual(await upperManifest(dir), oldUpper);
    });

    for (const stopAfter of ['writeJournal', 'saveCurrent', 'restoreRevision'] as const) {
      it(`crash during a root revert after ${stopAfter}: recovery finishes it`, async () => {
        const dir = fresh();
        const p = volumePathsOf(dir);
        const c = await commitTemplateRoot(dir, { uidBase: UID_BASE, keep: 1, inUse: new Set() });
        const saveAs = '2031-01-01T00-00-00.000Z';
        await rootSteps.writeJournal(dir, { op: 'root-revert', version: 1, revision: c.savedAs!, saveAs });
        if (stopAfter !== 'writeJournal') await rootSteps.saveCurrent(dir, saveAs);
        if (stopAfter === 'restoreRevision') await rootSteps.restoreRevision(dir, c.savedAs!);
        await recoverVolumes(dir);
        assert.deepEqual(await manifest(p.rootfs), oldRoot);
        assert.deepEqual(await manifest(join(p.rootRevisions, saveAs)), newRoot);
        assert.deepEqual(leftovers(dir), []);
      });
    }

    it('revert restores the newest earlier root by rename; pruning keeps a root a running qube records', async () => {
      const dir = fresh();
      const p = volumePathsOf(dir);
      const c = await commitTemplateRoot(dir, { uidBase: UID_BASE, keep: 1, inUse: new Set() });
      const r = await revertTemplateRoot(dir);
      assert.equal(r.restored, c.savedAs);
      assert.deepEqual(await manifest(p.rootfs), oldRoot);
      // A qube runs from the current (old) root; the template changes again and keeps no revisions.
      const st = await fsp.stat(p.rootfs);
      const inUse = new Set([`${st.dev}:${st.ino}`]);
      await withUpperTree(
        dir,
        async (u) => {
          await fsp.mkdir(u, { recursive: true });
          await fsp.writeFile(join(u, 'third'), '3\n');
        },
        true,
      );
      const c2 = await commitTemplateRoot(dir, { uidBase: UID_BASE, keep: 0, inUse });
      assert.deepEqual(c2.pruned, [r.savedAs], 'only the root nobody runs from is deleted');
      assert.deepEqual(
        (await listRootRevisions(dir)).map((x) => x.name),
        [c2.savedAs],
      );
      assert.deepEqual(await manifest(join(p.rootRevisions, c2.savedAs!)), oldRoot);
    });
  });

describe('template updates reach app qubes (real qubes)', { timeout: 900_000 }, () => {
  let d: CoreDaemon;
  const run = (q: string, cmd: string, user = 'root') => d.cli(['run', '--user', user, q, '--', 'sh', '-c', cmd], undefined, 120_000);
  const out = (q: string, cmd: string) => {
    const r = run(q, cmd);
    assert.equal(r.code, 0, `${q}: ${cmd}: ${r.stderr}`);
    return r.stdout;
  };
  const rootRevs = () => JSON.parse(d.ok(['volume', 'revisions', 'debian-12', 'root', '--json'])) as { name: string }[];
  const tplDir = () => join(d.home, 'qubes', 'debian-12');
  const VIEW =
    'cat /etc/bh-update /usr/local/share/bh-update 2>&1; stat -c %u:%g /usr/local/share/bh-update 2>&1; test -e /etc/bh-gone && echo gone-present || echo gone-absent';

  before(async () => {
    d = await coreDaemon('tplupd');
    d.ok(['create', 'early', '--template', 'debian-12', '--label', 'blue']);
    d.ok(['create', 'late', '--template', 'debian-12', '--label', 'blue']);
    d.ok(['start', 'debian-12'], undefined, 120_000);
    out('debian-12', 'echo bye > /etc/bh-gone');
    d.ok(['shutdown', 'debian-12'], undefined, 120_000);
    d.ok(['start', 'early'], undefined, 120_000);
  });
  after(async () => {
    await d?.destroy();
  });

  it('a change made in the template reaches app qubes started after its shutdown; running ones keep their view', () => {
    assert.match(out('early', VIEW), /No such file[\s\S]*gone-present/);
    d.ok(['start', 'debian-12'], undefined, 120_000);
    out(
      'debian-12',
      'echo v2 > /etc/bh-update && mkdir -p /usr/local/share && echo v2 > /usr/local/share/bh-update && chown 1000:1000 /usr/local/share/bh-update && rm /etc/bh-gone',
    );
    // While the template runs, app qubes start from its last committed root.
    d.ok(['start', 'late'], undefined, 120_000);
    assert.match(out('late', VIEW), /No such file[\s\S]*gone-present/);
    d.ok(['shutdown', 'late'], undefined, 120_000);
    const t0 = Date.now();
    d.ok(['shutdown', 'debian-12'], undefined, 120_000);
    process.stdout.write(`# template shutdown with a root commit: ${Date.now() - t0} ms\n`);
    d.ok(['start', 'late'], undefined, 120_000);
    assert.equal(out('late', VIEW), 'v2\nv2\n1000:1000\ngone-absent\n');
    // keep=1: the previous root (early's) is the one revision; the original root, used by nobody, is gone.
    assert.equal(rootRevs().length, 1, JSON.stringify(rootRevs()));
    // early started before the update: same old view, and its root still works.
    assert.match(out('early', VIEW), /No such file[\s\S]*gone-present/);
    assert.match(out('early', 'cat /etc/os-release; ls /usr/bin | wc -l'), /Debian[\s\S]*\n\d{2,}\n$/);
  });

  it('an earlier root is kept while a qube runs from it, and deleted after it stops', () => {
    d.ok(['prefs', 'debian-12', 'revisions_to_keep', '1']);
    d.ok(['start', 'debian-12'], undefined, 120_000);
    out('debian-12', 'echo v3 > /etc/bh-update');
    d.ok(['shutdown', 'debian-12'], undefined, 120_000);
    // keep=1 would leave only the newest revision, but early still runs from the oldest root.
    assert.equal(rootRevs().length, 2, JSON.stringify(rootRevs()));
    assert.match(out('early', VIEW), /No such file[\s\S]*gone-present/);
    d.ok(['shutdown', 'early'], undefined, 120_000);
    assert.equal(rootRevs().length, 1, 'pruned when its last user stopped');
    d.ok(['start', 'early'], undefined, 120_000);
    assert.equal(out('early', 'cat /etc/bh-update'), 'v3\n');
    d.ok(['shutdown', 'early'], undefined, 120_000);
  });

  it('volume revert TEMPLATE root brings back the previous root for the next start', () => {
    const r = d.ok(['volume', 'revert', 'debian-12', 'root']);
    assert.match(r, /restored \S+; the state before is kept as revision \S+/);
    d.ok(['shutdown', 'late'], undefined, 120_000);
    d.ok(['start', 'late'], undefined, 120_000);
    assert.equal(out('late', 'cat /etc/bh-update'), 'v2\n');
    d.ok(['shutdown', 'late'], undefined, 120_000);
    assert.notEqual(d.cli(['volume', 'revert', 'late', 'root']).code, 0);
  });

  it('kill -9 of the daemon while a template commits: the root is the old one or the new one, never a mix', async () => {
    const mark = (v: string) =>
      `echo ${v} > /etc/bh-crash && mkdir -p /opt/bh && echo ${v} > /opt/bh/crash && head -c 60000000 /dev/zero | tr '\\0' '${v.slice(-1)}' > /opt/bh/big && echo ${v} > /usr/local/share/bh-crash`;
    const state = () => {
      const root = join(tplDir(), 'rootfs');
      const read = (rel: string) => {
        try {
          return readFileSync(join(root, rel), 'utf8').trim();
        } catch {
          return 'absent';
        }
      };
      const big = (() => {
        try {
          const b = readFileSync(join(root, 'opt/bh/big'));
          return b.length === 60_000_000 && b.every((x) => x === b[0]) ? String.fromCharCode(b[0]!) : 'torn';
        } catch {
          return 'absent';
        }
      })();
      return [read('etc/bh-crash'), read('opt/bh/crash'), read('usr/local/share/bh-crash'), big].join(' ');
    };
    let current = state();
    const seen: string[] = [];
    for (let i = 1; i <= 4; i++) {
      const v = `c${i}`;
      d.ok(['start', 'debian-12'], undefined, 120_000);
      out('debian-12', mark(v));
      const stop = spawn(CLI, ['shutdown', 'debian-12'], { env: d.env, stdio: 'ignore' });
      const stopped = new Promise((r) => stop.on('close', r));
      await new Promise((r) => setTimeout(r, 300 + i * 700));
      const pid = d.daemonPid();
      if (pid) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      await stopped;
      // Recovery runs at daemon start, and the reconcile finishes the stop (the commit) before the API answers.
      for (let t = 0; ; t++) {
        const r = d.cli(['daemon', 'start'], undefined, 60_000);
        if (r.code === 0 || (await d.api('GET', '/version').catch(() => null))?.status === 200) break;
        if (t > 12) throw new Error(`the daemon does not come back: ${r.stderr}`);
        await new Promise((res) => setTimeout(res, 2000));
      }
      // Wait until the daemon has settled the stopped template (reconcile), then look at the root.
      for (
        let t = 0;
        t < 100 && JSON.parse(d.ok(['ls', '--json'])).find((q: { name: string; state: string }) => q.name === 'debian-12')?.state !== 'halted';
        t++
      ) {
        d.cli(['kill', 'debian-12']);
        await new Promise((r) => setTimeout(r, 200));
      }
      const now = state();
      const fresh = `${v} ${v} ${v} ${v.slice(-1)}`;
      assert.ok(now === current || now === fresh, `after kill ${i}: root is '${now}', expected old '${current}' or new '${fresh}'`);
      seen.push(now === fresh ? 'new' : 'old');
      assert.deepEqual(
        leftovers(tplDir()).filter((n) => !n.startsWith('.trash-')),
        [],
        'no half-made root is left',
      );
      assert.deepEqual(mountedBelow(tplDir()), []);
      // Whatever the outcome, an app qube starts from a complete root.
      d.ok(['start', 'late'], undefined, 120_000);
      const [etc, , , big] = now.split(' ');
      assert.equal(
        out('late', 'cat /etc/bh-crash 2>/dev/null || echo absent; wc -c < /opt/bh/big 2>/dev/null || echo absent'),
        `${etc}\n${big === 'absent' ? 'absent' : '60000000'}\n`,
      );
      d.ok(['shutdown', 'late'], undefined, 120_000);
      current = now;
    }
    process.stdout.write(`# kill -9 outcomes: ${seen.join(', ')}\n`);
  });
});
