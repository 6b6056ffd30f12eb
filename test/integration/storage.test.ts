// Storage on a real file system: volumes, revisions, revert, crash recovery, clone; templates from the cache and a real build.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/exec/index.js';
import {
  cloneQubeVolumes,
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
    assert.deepEqual((await ls(pool)).filter((e) => e.startsWith('.')), [], 'no leftovers in the pool');
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
    assert.deepEqual((await listRevisions(p.dir)).map((x) => x.name), [c1.revision, c2.revision, r.savedAs]);

    await revertPrivate(p.dir, r.savedAs);
    assert.deepEqual(await manifest(p.private), state2, 'a revert can be reverted');
    await assert.rejects(revertPrivate(p.dir, 'nope'), { code: 'ERR_INVALID_VALUE', message: /no revision "nope"/ });
    assert.deepEqual((await ls(p.dir)).filter((e) => e.startsWith('.') || e.endsWith('.json')), [], 'no leftovers');
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
    assert.deepEqual(revs.map((r) => r.name), [names[2]]);
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
    assert.deepEqual((await listRevisions(p.dir)).map((r) => r.name), [c1.revision], 'an unpublished copy is not a revision');
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
        assert.deepEqual((await listRevisions(p.dir)).map((r) => r.name), [c1.revision]);
      } else {
        assert.deepEqual(after, old, 'intent recorded: rolled forward to the revision');
        assert.deepEqual(await manifest(join(p.revisions, saveAs)), current, 'previous state kept as a revision');
        assert.equal(report.finished.length, 1);
      }
      assert.deepEqual(await manifest(join(p.revisions, c1.revision!)), old, 'the revision itself never changes');
      assert.deepEqual((await ls(p.dir)).filter((e) => e.startsWith('.') || e.endsWith('.json')), []);
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
    const shift = (lines: string[]) => lines.map((l) => l.replace(/ (\d+):(\d+) /, (_m, u: string, g: string) => {
      const f = (x: number) => (x >= UID && x < UID + 65536 ? x - UID + 400000 : x);
      return ` ${f(Number(u))}:${f(Number(g))} `;
    }));
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
