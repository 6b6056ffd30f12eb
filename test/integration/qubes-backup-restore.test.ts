// `bulkhead backup restore --qubes`: a Qubes OS v4 backup becomes bulkhead qubes (home, labels, netvm chain, firewall, tags); a damaged one creates nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, promises as fsp, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { coreDaemon, type CoreDaemon } from './core-fixture.js';
import { withPrivateTree } from './helpers/private-volume.js';
import { makeSampleBackup, packOuter, SAMPLE_NOTES } from '../../src/features/backup/qubes/fixture.test-util.js';
import { indexOuterTar } from '../../src/features/backup/qubes/index.js';

let d: CoreDaemon;
let dir: string;
let good: string;
let passFile: string;

before(async () => {
  d = await coreDaemon('qubesbak');
  const g = await d.api('PUT', '/globals/default_template', { value: 'debian-12' });
  assert.equal(g.status, 200, JSON.stringify(g.body));
  dir = await fsp.mkdtemp(join(d.home, 'qubes-backup-'));
  good = await makeSampleBackup(join(dir, 'good'));
  passFile = join(dir, 'pass');
  await fsp.writeFile(passFile, 'correct horse\n');
});
after(async () => {
  await d?.destroy();
});

const names = () => (JSON.parse(d.ok(['ls', '--json'])) as { name: string }[]).map((q) => q.name).sort();

test('a wrong passphrase, a flipped byte, truncation or swapped chunks restore nothing, with one error naming the chunk', async () => {
  const before = names();
  const wrong = join(dir, 'wrong');
  await fsp.writeFile(wrong, 'not it\n');
  const r1 = d.cli(['backup', 'restore', '--qubes', good, '--passphrase-file', wrong]);
  assert.notEqual(r1.code, 0);
  assert.match(r1.stderr, /backup-header\.hmac: wrong passphrase/);
  // Damage in the last file read (vm7's firewall.xml, after both private images): still nothing is created.
  const copy = join(dir, 'flipped');
  await fsp.copyFile(good, copy);
  const fd = openSync(copy, 'r+');
  const read = (off: number, len: number) => {
    const x = Buffer.alloc(len);
    return x.subarray(0, readSync(fd, x, 0, len, off));
  };
  const m = indexOuterTar(read, statSync(copy).size).find((x) => x.name === 'vm7/firewall.xml.000.enc')!;
  const b = read(m.offset + m.size - 100, 1);
  b[0] = b[0]! ^ 0x40;
  writeSync(fd, b, 0, 1, m.offset + m.size - 100);
  closeSync(fd);
  const r2 = d.cli(['backup', 'restore', '--qubes', copy, '--passphrase-file', passFile]);
  assert.notEqual(r2.code, 0);
  assert.match(r2.stderr, /vm7\/firewall\.xml\.000\.enc: its content does not authenticate/);
  // Truncated, and two chunks swapped.
  const cut = join(dir, 'cut');
  await fsp.copyFile(good, cut);
  // Inside the last member (a cut between members' archives would drop a whole file, which no check can see: docs/backup-qubes.md).
  await fsp.truncate(cut, m.offset + Math.floor(m.size / 2));
  const r3 = d.cli(['backup', 'restore', '--qubes', cut, '--passphrase-file', passFile]);
  assert.notEqual(r3.code, 0);
  assert.match(r3.stderr, /truncated/);
  const gfd = openSync(good, 'r');
  const order = indexOuterTar((off, len) => {
    const x = Buffer.alloc(len);
    return x.subarray(0, readSync(gfd, x, 0, len, off));
  }, statSync(good).size).map((x) => x.name);
  closeSync(gfd);
  const i = order.indexOf('vm7/private.img.001.enc');
  [order[i], order[i + 1]] = [order[i + 1]!, order[i]!];
  const swapped = await packOuter(join(dir, 'good', 'work'), order, join(dir, 'swapped'));
  const r4 = d.cli(['backup', 'restore', '--qubes', swapped, '--passphrase-file', passFile]);
  assert.notEqual(r4.code, 0);
  assert.match(r4.stderr, /vm7\/private\.img\.002\.enc: chunk vm7\/private\.img\.001\.enc is missing before it/);
  assert.deepEqual(names(), before);
});

test('--verify-only checks the whole backup and creates nothing', () => {
  const before = names();
  const out = d.ok(['backup', 'restore', '--qubes', good, '--passphrase-file', passFile, '--verify-only']);
  assert.match(out, /nothing created/);
  assert.match(out, /q-work/);
  assert.deepEqual(names(), before);
});

test('restore: qubes, labels, netvm chain, tags, firewall and the home directory from private.img', async () => {
  const out = d.ok(['backup', 'restore', '--qubes', good, '--passphrase-file', passFile], undefined, 300_000);
  assert.match(out, /skipped fedora-39: a template: qubes based on it use bulkhead's template 'debian-12'/);
  assert.match(out, /tag 'bad tag!' is not a valid bulkhead tag/);
  const ls = JSON.parse(d.ok(['ls', '--json'])) as { name: string; klass: string; label: string }[];
  const fw = ls.find((q) => q.name === 'q-firewall');
  const work = ls.find((q) => q.name === 'q-work');
  assert.ok(fw && work, out);
  assert.equal(fw.label, 'orange');
  assert.equal(work.label, 'blue');
  assert.equal(work.klass, 'app');
  const prop = async (q: string, k: string) => (await d.api<{ value: unknown }>('GET', `/qubes/${q}/prefs/${k}`)).body.value;
  assert.equal(await prop('q-work', 'netvm'), 'q-firewall');
  assert.equal(await prop('q-work', 'template'), 'debian-12');
  assert.equal(await prop('q-work', 'memory'), 500);
  assert.equal(await prop('q-firewall', 'provides_network'), true);
  assert.equal(await prop('q-firewall', 'netvm'), null);
  const tags = (await d.api<{ tags: string[] }>('GET', '/qubes/q-work/tags')).body.tags;
  assert.deepEqual([...tags].sort(), ['created-by-dom0', 'work-data']);
  const rules = (await d.api<{ rules: string[] }>('GET', '/qubes/q-work/firewall')).body.rules;
  assert.deepEqual(rules, [
    'action=accept specialtarget=dns',
    'action=accept dsthost=192.168.7.0/24 proto=tcp dstports=443',
    'action=accept proto=icmp',
    'action=drop',
  ]);
  // The home: the file is there, owned by the new qube's user (its uid range, not Qubes' uid 1000).
  const q = (await d.api<{ qid: number }>('GET', '/qubes/q-work')).body;
  withPrivateTree(join(d.home, 'qubes', 'q-work'), (tree) => {
    const notes = join(tree, 'home', 'user', 'notes.txt');
    assert.equal(readFileSync(notes, 'utf8'), SAMPLE_NOTES);
    assert.equal(statSync(join(tree, 'home', 'user', 'Documents', 'random.bin')).size, 96 * 1024);
    const st = statSync(notes);
    assert.notEqual(st.uid, 1000);
    assert.equal(st.uid % 65536, 1000, `owner ${st.uid} is the qube's user`);
    assert.ok(q.qid > 0);
  });
  // And inside the running qube, its user reads it.
  const cat = d.ok(['run', 'q-firewall', '--', 'cat', '/home/user/notes.txt'], undefined, 120_000);
  assert.equal(cat, SAMPLE_NOTES);
  d.ok(['shutdown', 'q-firewall']);
  // A second restore skips the qubes that now exist.
  const again = d.ok(['backup', 'restore', '--qubes', good, '--passphrase-file', passFile]);
  assert.match(again, /skipped q-work: a qube of that name exists already/);
});
