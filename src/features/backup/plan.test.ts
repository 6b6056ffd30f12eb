// Restore and backup plans: which qubes, in which order, conflicts skipped or renamed, references rewritten or reset, missing templates refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QubeRecord, SystemView } from '../../model/index.js';
import { MANIFEST_VERSION, type Manifest, type ManifestQube } from './manifest.js';
import { conflictName, planRestore, selectForBackup } from './plan.js';

const rec = (name: string, klass: QubeRecord['klass'], props: QubeRecord['props'] = {}): QubeRecord => ({
  name,
  uuid: '',
  qid: 1,
  klass,
  label: 'red',
  props,
  tags: [],
  features: {},
  createdAt: '',
});
const sys = (...qs: QubeRecord[]): SystemView => ({ qubes: new Map(qs.map((q) => [q.name, q])), globals: { default_template: 'debian-12' } });
const mq = (name: string, klass: ManifestQube['klass'], props: ManifestQube['props'] = {}): ManifestQube => ({
  name,
  klass,
  label: 'red',
  props,
  tags: [],
  features: {},
  firewall: null,
  uidBase: 65536,
  policyRefs: [],
});
const manifest = (...qubes: ManifestQube[]): Manifest => ({ version: MANIFEST_VERSION, createdAt: '', bulkhead: '', qubes, entries: [] });

describe('selectForBackup', () => {
  const s = sys(
    rec('debian-12', 'template'),
    rec('other-t', 'template'),
    rec('work', 'app', { template: 'other-t' }),
    rec('mail', 'app'),
    rec('sa', 'standalone'),
    rec('disp1', 'disposable'),
  );
  it('takes the named qubes, and their templates only when asked', () => {
    assert.deepEqual(
      selectForBackup(s, ['work', 'sa'], false).map((q) => q.name),
      ['sa', 'work'],
    );
    assert.deepEqual(
      selectForBackup(s, ['work', 'mail', 'sa'], true).map((q) => q.name),
      ['debian-12', 'other-t', 'mail', 'sa', 'work'],
    );
  });
  it('refuses unknown qubes, disposables, the admin qube and an empty list', () => {
    assert.throws(() => selectForBackup(s, ['nope'], false), /no qube named 'nope'/);
    assert.throws(() => selectForBackup(s, ['disp1'], false), /disposable/);
    assert.throws(() => selectForBackup(sys(rec('dom0', 'admin')), ['dom0'], false), /admin qube/);
    assert.throws(() => selectForBackup(s, [], false), /at least one/);
  });
});

describe('planRestore', () => {
  const m = manifest(
    mq('t2', 'template'),
    mq('net', 'app', { provides_network: true, template: 't2' }),
    mq('work', 'app', { template: 't2', netvm: 'net' }),
    mq('vault', 'app', { template: 'debian-12', netvm: 'gone' }),
  );
  it('restores all in reference order: template, then the netvm, then its users', () => {
    const p = planRestore(m, sys(rec('debian-12', 'template')), { conflicts: 'skip' });
    assert.deepEqual(
      p.items.map((i) => i.as),
      ['t2', 'net', 'vault', 'work'],
    );
    assert.deepEqual(p.skipped, []);
  });
  it('resets a netvm that is neither here nor restored, with a warning', () => {
    const p = planRestore(m, sys(rec('debian-12', 'template')), { conflicts: 'skip' });
    const vault = p.items.find((i) => i.as === 'vault')!;
    assert.equal('netvm' in vault.props, false);
    assert.match(p.warnings.join('\n'), /'vault': netvm 'gone'/);
  });
  it('skips a taken name by default; the others then refer to the qube here of that name', () => {
    const p = planRestore(m, sys(rec('debian-12', 'template'), rec('t2', 'template'), rec('net', 'app')), { conflicts: 'skip' });
    assert.deepEqual(
      p.items.map((i) => i.as),
      ['vault', 'work'],
    );
    assert.deepEqual(
      p.skipped.map((s) => s.name),
      ['t2', 'net'],
    );
    assert.equal(p.items.find((i) => i.as === 'work')!.props.netvm, 'net');
  });
  it('renames taken names as Qubes does and rewrites references to them', () => {
    const p = planRestore(m, sys(rec('debian-12', 'template'), rec('t2', 'template'), rec('net', 'app'), rec('net1', 'app')), { conflicts: 'rename' });
    const as = Object.fromEntries(p.items.map((i) => [i.from.name, i.as]));
    assert.deepEqual(as, { t2: 't21', net: 'net2', work: 'work', vault: 'vault' });
    const work = p.items.find((i) => i.as === 'work')!;
    assert.equal(work.props.template, 't21');
    assert.equal(work.props.netvm, 'net2');
    assert.deepEqual(p.items.map((i) => i.as).slice(0, 2), ['t21', 'net2']);
  });
  it('restores only the named qubes; a template neither here nor restored is an error', () => {
    const p = planRestore(m, sys(rec('debian-12', 'template'), rec('t2', 'template')), { select: ['work'], conflicts: 'skip' });
    assert.deepEqual(
      p.items.map((i) => i.as),
      ['work'],
    );
    assert.throws(
      () => planRestore(m, sys(rec('debian-12', 'template')), { select: ['work'], conflicts: 'skip' }),
      /template 't2'.*the backup holds it: restore it too/,
    );
    assert.throws(() => planRestore(m, sys(), { select: ['nope'], conflicts: 'skip' }), /holds no qube named 'nope'/);
  });
  it('conflict names stay within 31 characters', () => {
    const long = 'a'.repeat(31);
    assert.equal(
      conflictName(long, (n) => n === long),
      `${'a'.repeat(30)}1`,
    );
    assert.equal(
      conflictName('x', (n) => ['x1', 'x2'].includes(n)),
      'x3',
    );
  });
});
