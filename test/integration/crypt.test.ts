// Acceptance: encrypted qubes — with the state directory on its own ext4 image, nothing a running encrypted qube wrote is on the raw image in plaintext after it stops; passphrases: missing, wrong, changed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { coreDaemon, type CoreDaemon } from './core-fixture.js';

const RUN = process.env.BULKHEAD_TEST_RUN ?? 'bht';
const POOL_IMAGE_BYTES = 1536 * 1024 * 1024;

/** Offsets of `needle` in the file `path` (read in chunks, overlapping by the needle's length). */
function findInFile(path: string, needle: Buffer): number[] {
  const fd = openSync(path, 'r');
  const found: number[] = [];
  try {
    const chunk = Buffer.alloc(16 * 1024 * 1024);
    let pos = 0;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, pos);
      if (n <= 0) break;
      let i = chunk.subarray(0, n).indexOf(needle);
      while (i >= 0) {
        found.push(pos + i);
        i = chunk.subarray(0, n).indexOf(needle, i + 1);
      }
      if (n < chunk.length) break;
      pos += n - needle.length + 1;
    }
  } finally {
    closeSync(fd);
  }
  return found;
}

describe('encrypted qubes', { timeout: 600_000 }, () => {
  // The state directory lives on an ext4 image of its own: its raw bytes are what an examiner reads.
  const base = mkdtempSync(`/var/tmp/${RUN}-crypt-`);
  const img = join(base, 'pool.img');
  const mnt = join(base, 'mnt');
  const secrets = join(base, 'secrets');
  let mounted = false;
  let d: CoreDaemon;
  // Made here, never typed into a command line: the qube gets the canary in base64 and decodes it.
  const canary = `canary-${randomBytes(12).toString('hex')}`;
  const plainCanary = `canary-${randomBytes(12).toString('hex')}`;
  const pass1 = `pass-${randomBytes(12).toString('hex')}`;
  const pass2 = `pass-${randomBytes(12).toString('hex')}`;
  const passFile = (n: string, text: string) => {
    const f = join(secrets, n);
    writeFileSync(f, `${text}\n`, { mode: 0o600 });
    return f;
  };
  const sh = (name: string, script: string) => d.cli(['run', '--user', 'user', name, '--', 'sh', '-c', script], undefined, 120_000);
  const writeCanary = (name: string, text: string) => {
    const b64 = Buffer.from(text).toString('base64');
    // Many copies in a file of its own, and one in a small file (inline data would be the easy case).
    const r = sh(
      name,
      `c=$(echo ${b64} | base64 -d); echo "$c" > /home/user/note; for i in $(seq 1 2000); do echo "$c"; done > /home/user/big; sync; cat /home/user/note`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${text}\n`);
  };
  const keyFile = () => readFileSync(join(d.home, 'qubes', 'enc', 'volume-key.json'), 'utf8');

  before(async () => {
    chmodSync(base, 0o711); // crun reaches the qubes' roots below it as their own unprivileged root
    mkdirSync(secrets, { mode: 0o700 });
    writeFileSync(img, '');
    spawnSync('truncate', ['-s', String(POOL_IMAGE_BYTES), img]);
    const mk = spawnSync('mkfs.ext4', ['-q', '-F', '-E', 'lazy_itable_init=1,lazy_journal_init=1', img], { encoding: 'utf8' });
    assert.equal(mk.status, 0, mk.stderr);
    mkdirSync(mnt);
    const m = spawnSync('mount', ['-o', 'loop', img, mnt], { encoding: 'utf8' });
    assert.equal(m.status, 0, m.stderr);
    mounted = true;
    mkdirSync(join(mnt, 'home'), { mode: 0o711 });
    d = await coreDaemon('crypt', { home: join(mnt, 'home') });
    d.ok([
      'create',
      'enc',
      '--template',
      'debian-12',
      '--label',
      'red',
      '--prop',
      'private_size=32M',
      '--encrypted',
      '--passphrase-file',
      passFile('p1', pass1),
    ]);
    d.ok(['create', 'plain', '--template', 'debian-12', '--label', 'green', '--prop', 'private_size=32M']);
  });

  after(async () => {
    try {
      if (d) {
        for (const n of ['enc', 'encc', 'plain', 'sa']) d.cli(['kill', n]);
        await d.destroy();
      }
    } finally {
      if (mounted) spawnSync('umount', [mnt]);
      if (mounted && spawnSync('mountpoint', ['-q', mnt]).status === 0) spawnSync('umount', ['-l', mnt]);
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('a start without the passphrase or with a wrong one fails with ERR_PASSPHRASE and changes nothing', async () => {
    const before = keyFile();
    assert.match(d.ok(['volume', 'info', 'enc']), /encrypted at rest/);
    assert.doesNotMatch(d.ok(['volume', 'info', 'plain']), /encrypted/);
    const none = await d.api<{ error: string; message: string }>('POST', '/qubes/enc/start', {});
    assert.equal(none.status, 401);
    assert.equal(none.body.error, 'ERR_PASSPHRASE');
    assert.match(none.body.message, /encrypted: give its passphrase/);
    const wrong = d.cli(['start', 'enc', '--passphrase-file', passFile('bad', 'not-the-passphrase')]);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /'enc': wrong passphrase/);
    const api = await d.api<{ error: string }>('POST', '/qubes/enc/start', { passphrase: 'nope' });
    assert.equal(api.body.error, 'ERR_PASSPHRASE');
    const missingFile = d.cli(['start', 'enc', '--passphrase-file', join(secrets, 'absent')]);
    assert.match(missingFile.stderr, /--passphrase-file .*absent: no such file/);
    assert.equal(JSON.parse(d.ok(['ls', '--json'])).find((q: { name: string }) => q.name === 'enc').state, 'halted');
    assert.equal(keyFile(), before, 'the key file is untouched');
    assert.equal(d.ok(['volume', 'revisions', 'enc']), '', 'no revision was made');
    assert.deepEqual(spawnSync('losetup', ['-j', join(d.home, 'qubes', 'enc', 'private')], { encoding: 'utf8' }).stdout, '', 'no loop device was left');
  });

  it("a running encrypted qube reads and writes its home; the passphrase is in no qube's environment", () => {
    d.ok(['start', 'enc', '--passphrase-file', join(secrets, 'p1')]);
    d.ok(['start', 'plain']);
    writeCanary('enc', canary);
    writeCanary('plain', plainCanary);
    const env = d.cli(['run', '--user', 'root', 'enc', '--', 'sh', '-c', 'cat /proc/1/environ; cat /proc/self/environ']);
    assert.equal(env.code, 0);
    assert.ok(!env.stdout.includes(pass1), "the passphrase is not in the qube's environment");
    // The qube sees its data as plain files; on the host the image's data directory is the encrypted one.
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    assert.ok(mounts.includes(join(d.home, 'qubes', 'enc', 'mnt', 'private')), 'the encrypted image is mounted while the qube runs');
  });

  it("after shutdown the raw state image holds the plain qube's canary but not the encrypted one's, nor the passphrase", () => {
    d.ok(['shutdown', 'enc', 'plain']);
    // The key went with the stop: the image is mounted nowhere and no loop device holds it (the file system and its keyring are gone).
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(join(d.home, 'qubes', 'enc', 'mnt', 'private')));
    assert.equal(spawnSync('losetup', ['-j', join(d.home, 'qubes', 'enc', 'private')], { encoding: 'utf8' }).stdout, '');
    assert.match(d.ok(['volume', 'revisions', 'enc']), /^\d{4}-/m, 'a revision was committed (a copy of the encrypted image)');
    spawnSync('sync', ['-f', mnt]);
    const hits = findInFile(img, Buffer.from(plainCanary));
    // Control: the method finds data a plain qube wrote (the live image and its revision).
    assert.ok(hits.length >= 2000, `the plain qube's canary is on the raw image (${hits.length} hits)`);
    assert.deepEqual(findInFile(img, Buffer.from(canary)), [], "the encrypted qube's canary is nowhere on the raw image");
    assert.deepEqual(findInFile(img, Buffer.from(pass1)), [], 'the passphrase is nowhere on the raw image (database, audit log, daemon log)');
    // A fresh mount of the stopped image, without the key, shows only encrypted names.
    const look = join(base, 'look');
    mkdirSync(look);
    const m = spawnSync('mount', ['-o', 'loop,ro,noexec', join(d.home, 'qubes', 'enc', 'private'), look], { encoding: 'utf8' });
    assert.equal(m.status, 0, m.stderr);
    try {
      const names = spawnSync('ls', ['-A', join(look, 'crypt')], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean);
      assert.equal(names.length, 1);
      assert.notEqual(names[0], 'home', 'file names are encrypted too');
      const cat = spawnSync('sh', ['-c', `cat ${join(look, 'crypt', names[0] as string)}/*/*`], { encoding: 'utf8' });
      assert.notEqual(cat.status, 0, 'without the key no file can be opened');
    } finally {
      spawnSync('umount', [look]);
    }
  });

  it('the passphrase changes without re-encrypting; the old one stops working', async () => {
    const imageBefore = statSync(join(d.home, 'qubes', 'enc', 'private')).mtimeMs;
    const bad = d.cli(['volume', 'passphrase', 'enc', '--old-file', join(secrets, 'bad'), '--new-file', passFile('p2', pass2)]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /wrong passphrase/);
    const keyBefore = keyFile();
    d.ok(['volume', 'passphrase', 'enc', '--old-file', join(secrets, 'p1'), '--new-file', join(secrets, 'p2')]);
    assert.notEqual(keyFile(), keyBefore);
    assert.equal(JSON.parse(keyFile()).keyId, JSON.parse(keyBefore).keyId, 'the same master key');
    assert.equal(statSync(join(d.home, 'qubes', 'enc', 'private')).mtimeMs, imageBefore, 'the image is not rewritten');
    const old = await d.api<{ error: string }>('POST', '/qubes/enc/start', { passphrase: pass1 });
    assert.equal(old.body.error, 'ERR_PASSPHRASE');
    // A revision (a copy of the encrypted image) is reverted to without the key, and opens with the new passphrase.
    const rev = d.ok(['volume', 'revisions', 'enc']).trim().split('\n').pop() as string;
    d.ok(['volume', 'revert', 'enc', rev]);
    d.ok(['start', 'enc', '--passphrase-file', join(secrets, 'p2')]);
    assert.equal(sh('enc', 'cat /home/user/note').stdout, `${canary}\n`, 'the data survived the stop, a revert and the passphrase change');
    d.ok(['shutdown', 'enc']);
    // A clone shares the master key and the passphrase, and gets its owners shifted without the key.
    d.ok(['clone', 'enc', 'encc']);
    const nokey = await d.api<{ error: string }>('POST', '/qubes/encc/start', {});
    assert.equal(nokey.body.error, 'ERR_PASSPHRASE');
    d.ok(['start', 'encc', '--passphrase-file', join(secrets, 'p2')]);
    assert.equal(sh('encc', 'cat /home/user/note; echo more >> /home/user/note').stdout, `${canary}\n`, 'the clone reads the data as user');
    d.ok(['shutdown', 'encc']);
    // An image swapped for a plain one is refused, never filled in plaintext.
    const enccImg = join(d.home, 'qubes', 'encc', 'private');
    assert.equal(spawnSync('cp', ['--sparse=always', join(d.home, 'qubes', 'plain', 'private'), enccImg]).status, 0);
    const swapped = await d.api<{ error: string; message: string }>('POST', '/qubes/encc/start', { passphrase: pass2 });
    assert.equal(swapped.body.error, 'ERR_CRYPT', swapped.body.message);
    assert.equal(JSON.parse(d.ok(['ls', '--json'])).find((q: { name: string }) => q.name === 'encc').state, 'halted');
    assert.equal(spawnSync('losetup', ['-j', enccImg], { encoding: 'utf8' }).stdout, '', 'the failed start left no loop device');
    spawnSync('sync', ['-f', mnt]);
    assert.deepEqual(findInFile(img, Buffer.from(pass2)), [], 'the new passphrase is nowhere on the raw image');
    assert.deepEqual(findInFile(img, Buffer.from(canary)), [], 'still no plaintext canary');
  });

  it('disposables of an encrypted disposable template are amnesic: RAM only, no passphrase asked', () => {
    d.ok([
      'create',
      'edvm',
      '--template',
      'debian-12',
      '--label',
      'red',
      '--prop',
      'private_size=32M',
      '--prop',
      'template_for_dispvms=true',
      '--encrypted',
      '--passphrase-file',
      join(secrets, 'p1'),
    ]);
    const dcanary = `canary-${randomBytes(12).toString('hex')}`;
    const b64 = Buffer.from(dcanary).toString('base64');
    const r = d.cli(
      [
        'run',
        '--user',
        'user',
        '--dispvm',
        'edvm',
        '--',
        'sh',
        '-c',
        `stat -f -c %T /home/user; for i in $(seq 1 2000); do echo ${b64} | base64 -d; echo; done > /home/user/x; sync; head -1 /home/user/x`,
      ],
      undefined,
      120_000,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `tmpfs\n${dcanary}\n`);
    spawnSync('sync', ['-f', mnt]);
    assert.deepEqual(findInFile(img, Buffer.from(dcanary)), [], 'what the disposable wrote never reached the disk');
  });

  it("templates and disposables cannot be encrypted; a standalone's root layer is encrypted too", () => {
    const t = d.cli([
      'create',
      'et',
      '--class',
      'template',
      '--template',
      'debian-12',
      '--label',
      'black',
      '--encrypted',
      '--passphrase-file',
      join(secrets, 'p1'),
    ]);
    assert.notEqual(t.code, 0);
    assert.match(t.stderr, /a template qube cannot be encrypted/);
    assert.doesNotMatch(d.ok(['ls']), /\bet\b/, 'nothing was created');
    d.ok([
      'create',
      'sa',
      '--class',
      'standalone',
      '--template',
      'debian-12',
      '--label',
      'blue',
      '--prop',
      'private_size=32M',
      '--prop',
      'root_size=64M',
      '--encrypted',
      '--passphrase-file',
      join(secrets, 'p1'),
    ]);
    d.ok(['start', 'sa', '--passphrase-file', join(secrets, 'p1')]);
    const b64 = Buffer.from(canary).toString('base64');
    assert.equal(
      d.cli(['run', '--user', 'root', 'sa', '--', 'sh', '-c', `for i in $(seq 1 2000); do echo ${b64} | base64 -d; echo; done > /var/canary; sync`]).code,
      0,
    );
    d.ok(['shutdown', 'sa']);
    spawnSync('sync', ['-f', mnt]);
    assert.deepEqual(findInFile(img, Buffer.from(canary)), [], 'what the standalone wrote to its root layer is not on the raw image in plaintext');
    d.ok(['start', 'sa', '--passphrase-file', join(secrets, 'p1')]);
    assert.match(d.ok(['run', '--user', 'root', 'sa', '--', 'head', '-1', '/var/canary']), new RegExp(canary), 'the root layer survives a restart');
    d.ok(['shutdown', 'sa']);
  });
});
