// State store: transactions, migrations, the audit hash chain and its tamper evidence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, StateStore, verifyAudit } from './index.js';

async function fresh() {
  const dir = mkdtempSync(join(tmpdir(), 'bh-state-'));
  const db = await openDatabase(join(dir, 'state.db'));
  return {
    dir,
    db,
    store: new StateStore(db),
    done: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('create, set, tag, feature, remove: each audited and chained', async () => {
  const { store, db, done } = await fresh();
  try {
    store.createQube('test', { name: 'work', klass: 'app', label: 'blue', props: { template: 'debian-12' } });
    store.setProp('test', 'work', 'memory', 512);
    store.addTag('test', 'work', 'anon-vm');
    store.setFeature('test', 'work', 'gateway', '1');
    const q = store.requireQube('work');
    assert.equal(q.props.memory, 512);
    assert.deepEqual(q.tags, ['anon-vm']);
    assert.equal(q.features.gateway, '1');
    assert.equal(q.qid, 1);
    store.removeQube('test', 'work');
    assert.equal(store.getQube('work'), undefined);
    const v = verifyAudit(db);
    assert.equal(v.ok, true);
    assert.equal(v.rows, 5);
  } finally {
    done();
  }
});

test('qids are reused lowest first', async () => {
  const { store, done } = await fresh();
  try {
    for (const n of ['a', 'b', 'c']) store.createQube('t', { name: n, klass: 'app', label: 'red', props: {} });
    store.removeQube('t', 'b');
    assert.equal(store.createQube('t', { name: 'd', klass: 'app', label: 'red', props: {} }).qid, 2);
  } finally {
    done();
  }
});

test('a duplicate name fails and changes nothing', async () => {
  const { store, db, done } = await fresh();
  try {
    store.createQube('t', { name: 'a', klass: 'app', label: 'red', props: {} });
    const before = (db.prepare('SELECT count(*) n FROM audit').get() as { n: number }).n;
    assert.throws(() => store.createQube('t', { name: 'a', klass: 'app', label: 'red', props: {} }), /already exists/);
    assert.equal((db.prepare('SELECT count(*) n FROM audit').get() as { n: number }).n, before);
  } finally {
    done();
  }
});

test('the audit log refuses edits, and a forged row breaks the chain', async () => {
  const { store, db, done } = await fresh();
  try {
    store.createQube('t', { name: 'a', klass: 'app', label: 'red', props: {} });
    store.setProp('t', 'a', 'memory', 600);
    assert.throws(() => db.prepare("UPDATE audit SET actor = 'x'").run(), /append-only/);
    assert.throws(() => db.prepare('DELETE FROM audit').run(), /append-only/);
    // An examiner-style forgery: drop the trigger and edit a row. The chain shows it.
    db.exec('DROP TRIGGER audit_append_only_update');
    db.prepare('UPDATE audit SET detail = \'{"key":"memory","value":9999}\' WHERE seq = 2').run();
    const v = verifyAudit(db);
    assert.equal(v.ok, false);
    assert.equal(v.brokenAt, 2);
  } finally {
    done();
  }
});

test('migrations run once and reopen cleanly', async () => {
  const { dir, db, done } = await fresh();
  try {
    db.close();
    const db2 = await openDatabase(join(dir, 'state.db'));
    const names = (db2.prepare('SELECT name FROM schema_migrations').all() as { name: string }[]).map((r) => r.name);
    assert.deepEqual(names, ['0001-qubes', '0002-audit', '0003-firewall']);
    assert.equal(db2.pragma('journal_mode', { simple: true }), 'wal');
    db2.close();
  } finally {
    try {
      done();
    } catch {
      /* closed above */
    }
  }
});
