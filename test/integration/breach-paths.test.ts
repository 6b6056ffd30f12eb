// Attacks on the admin side through paths a qube controls: symlinks planted (and swapped mid-call) in its root, private volume and revisions must never make the admin read, count, copy, write or delete a host file.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveQubeUser } from '../../src/runtime/ns/passwd.js';
import { treeUsage } from '../../src/storage/du.js';
import { withPrivateTree } from './helpers/private-volume.js';
import { coreDaemon, crunState, lsJson, type CoreDaemon } from './core-fixture.js';

const RUN = process.env.BULKHEAD_TEST_RUN ?? 'bht';

// Inside a qube: swap two names with renameat2(RENAME_EXCHANGE) as fast as it can, for N seconds.
// Every swap is atomic, so each name is always either the directory or the symlink.
const SWAPPER_PY = `
import ctypes, os, signal, sys, time
libc = ctypes.CDLL(None, use_errno=True)
a, b, until = sys.argv[1].encode(), sys.argv[2].encode(), time.time() + float(sys.argv[3])
n = 0
def done(*_):
    print('swaps', n, flush=True); sys.exit(0)
signal.signal(signal.SIGTERM, done)
open('/tmp/swap.pid', 'w').write(str(os.getpid()))
while True:
    if libc.renameat2(-100, a, -100, b, 2) != 0:
        print('errno', ctypes.get_errno(), flush=True); sys.exit(1)
    n += 1
    if n % 4096 == 0 and time.time() > until: break
print('swaps', n, flush=True)
`;

describe('breach paths: the admin side never follows a path a qube can change', { timeout: 900_000 }, () => {
  let d: CoreDaemon;
  let hostArea: string;
  const secret = `SECRET${randomBytes(12).toString('hex')}`;

  const sh = (name: string, script: string, input?: string) => d.cli(['run', '--user', 'root', name, '--', 'sh', '-c', script], input);
  const okSh = (name: string, script: string, input?: string) => {
    const r = sh(name, script, input);
    assert.equal(r.code, 0, `${name}: ${script}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  /** Start the swapper in the background inside `name` (it ends by itself after `seconds`). */
  const startSwapper = (name: string, a: string, b: string, seconds: number) => {
    okSh(name, 'cat > /tmp/swap.py', SWAPPER_PY);
    okSh(name, `python3 /tmp/swap.py ${a} ${b} ${seconds} >/tmp/swap.log 2>&1 </dev/null & echo started`);
  };
  /** Stop the swapper; returns how many swaps it made (the positive control that the race ran). */
  const stopSwapper = (name: string): number => {
    const r = sh(name, 'kill -TERM "$(cat /tmp/swap.pid)"; sleep 0.3; cat /tmp/swap.log');
    return Number(/swaps (\d+)/.exec(r.stdout)?.[1] ?? 0);
  };
  const mergedRoot = (name: string) => {
    const st = crunState(`${d.prefix}-${name}`);
    assert.ok(st, `${name} runs in crun`);
    return `${st.bundle}/root`;
  };
  /** Every file below `dir` (not following symlinks) whose bytes contain the secret. */
  const filesWithSecret = (dir: string) => {
    const r = spawnSync('grep', ['-rlF', secret, dir], { encoding: 'utf8' });
    return r.stdout.split('\n').filter(Boolean);
  };

  before(async () => {
    hostArea = mkdtempSync(`/var/tmp/${RUN}-breach-host-`);
    chmodSync(hostArea, 0o755);
    d = await coreDaemon('breach');
    for (const q of ['pw', 'cl', 'rmq']) d.ok(['create', q, '--template', 'debian-12', '--label', 'red']);
    // The private volume is an image whose length is its size; below 1 GiB so the bound asserted on usage still means "no host file counted".
    d.ok(['create', 'dusz', '--template', 'debian-12', '--label', 'red', '--prop', 'private_size=512M']);
  });

  after(async () => {
    await d?.destroy();
    if (hostArea) rmSync(hostArea, { recursive: true, force: true });
  });

  it('passwd lookup: swapping /etc for a symlink to a host directory never feeds a host file to the admin', async () => {
    // The host directory an attacker wants read: it holds a "passwd" whose home field is the secret.
    const hostEtc = join(hostArea, 'etc');
    mkdirSync(hostEtc, { mode: 0o755 });
    writeFileSync(join(hostEtc, 'passwd'), `user:x:1000:1000::/${secret}:/bin/sh\n`, { mode: 0o600 });
    d.ok(['start', 'pw']);
    // /etc comes from the template (lower layer); an overlay renames only upper-only directories,
    // so the qube first makes /etc its own, then swaps it with a symlink to the host path.
    okSh('pw', `cp -a /etc /etc.own && rm -rf /etc && mv /etc.own /etc && ln -s ${hostEtc} /etc.link && test -d /etc`);
    const root = mergedRoot('pw');
    assert.equal(resolveQubeUser(root, 'user').home, '/home/user', "positive control: the qube's own user resolves");
    startSwapper('pw', '/etc', '/etc.link', 60);
    let leaked = 0;
    let resolved = 0;
    let swaps = 0;
    try {
      for (let i = 0; i < 1500; i++) {
        try {
          const u = resolveQubeUser(root, 'user');
          resolved += 1;
          if (u.home.includes(secret)) leaked += 1;
        } catch (e) {
          assert.doesNotMatch(String(e), new RegExp(secret));
        }
      }
      // The same lookup through the daemon (`run --user user`): the secret reaches neither side.
      for (let i = 0; i < 15; i++) {
        const r = d.cli(['run', '--user', 'user', 'pw', '--', 'sh', '-c', 'echo "home=$HOME"']);
        assert.doesNotMatch(r.stdout + r.stderr, new RegExp(secret), 'run --user user handed the host file to the qube');
      }
    } finally {
      swaps = stopSwapper('pw');
    }
    assert.ok(swaps > 10_000, `positive control: the qube swapped /etc (${swaps} swaps)`);
    assert.equal(leaked, 0, `${leaked} of ${resolved} lookups read the host's file through the swapped /etc`);
    assert.ok(resolved < 1500, 'positive control: the swaps were seen (some lookups met the symlink and were refused)');
    assert.ok(readFileSync(join(hostEtc, 'passwd'), 'utf8').includes(secret), 'the host file is intact');
    d.ok(['kill', 'pw']);
  });

  it('volume usage: a private volume swapping a directory for a symlink to a host directory never counts host files', async () => {
    const hostDir = join(hostArea, 'big');
    mkdirSync(hostDir, { mode: 0o755 });
    // A sparse 8 GiB file: its apparent size would show at once in the private volume's usage.
    spawnSync('truncate', ['-s', '8G', join(hostDir, 'huge')]);
    d.ok(['start', 'dusz']);
    okSh('dusz', `mkdir /rw/d && echo small > /rw/d/f && ln -s ${hostDir} /rw/L`);
    // While the qube runs its private tree is the image's mount.
    const priv = join(d.home, 'qubes', 'dusz', 'mnt', 'private');
    const before = await treeUsage(priv);
    assert.ok(before.apparentBytes < 1 << 30 && before.entries > 3, `positive control: ${JSON.stringify(before)}`);
    startSwapper('dusz', '/rw/d', '/rw/L', 60);
    let worst = 0;
    let swaps = 0;
    try {
      for (let i = 0; i < 400; i++) {
        const u = await treeUsage(priv);
        worst = Math.max(worst, u.apparentBytes);
      }
      for (let i = 0; i < 15; i++) {
        const v = await d.api<{ volumes: { kind: string; usage: { apparentBytes: number } }[] }>('GET', '/qubes/dusz/volumes');
        assert.equal(v.status, 200);
        for (const vol of v.body.volumes) worst = Math.max(worst, vol.usage.apparentBytes);
      }
    } finally {
      swaps = stopSwapper('dusz');
    }
    assert.ok(swaps > 10_000, `positive control: the qube swapped its directory (${swaps} swaps)`);
    assert.ok(worst < 1 << 30, `usage counted the host directory's 8 GiB file (worst apparent size ${worst})`);
    d.ok(['kill', 'dusz']);
  });

  it('clone: a running qube is refused with ERR_QUBE_RUNNING; a stopped one is copied without following its symlinks', () => {
    const hostDir = join(hostArea, 'clonesrc');
    mkdirSync(hostDir, { mode: 0o755 });
    writeFileSync(join(hostDir, 'file'), `${secret}\n`, { mode: 0o644 });
    d.ok(['start', 'cl']);
    okSh('cl', `ln -s ${hostDir} /rw/dirlink && ln -s ${hostDir}/file /rw/filelink && echo mine > /rw/own`);
    const r = d.cli(['clone', 'cl', 'cl2']);
    assert.notEqual(r.code, 0, `cloning a running qube succeeded: ${r.stdout}`);
    assert.match(r.stderr, /ERR_QUBE_RUNNING|running/);
    assert.ok(!lsJson(d).some((q) => q.name === 'cl2'), 'no half-made clone is left');
    assert.ok(!existsSync(join(d.home, 'qubes', 'cl2')), 'no clone volumes are left');
    d.ok(['shutdown', '--wait', 'cl']);
    d.ok(['clone', 'cl', 'cl2']);
    withPrivateTree(join(d.home, 'qubes', 'cl2'), (priv2) => {
      assert.equal(readFileSync(join(priv2, 'own'), 'utf8'), 'mine\n', 'positive control: the clone has the data');
      assert.ok(statSync(join(priv2, 'dirlink'), { throwIfNoEntry: false }) !== undefined);
    });
    assert.deepEqual(filesWithSecret(join(d.home, 'qubes', 'cl2')), [], 'host bytes were copied into the clone');
    assert.deepEqual(readdirSync(hostDir), ['file'], 'the host directory is untouched');
  });

  it('stop, revisions and remove: symlinks planted in the root and the private volume never reach host files', () => {
    const hostDir = join(hostArea, 'victim');
    mkdirSync(hostDir, { mode: 0o755 });
    writeFileSync(join(hostDir, 'keep'), `${secret}\n`, { mode: 0o644 });
    const hostFile = join(hostArea, 'victim-file');
    writeFileSync(hostFile, `${secret}\n`, { mode: 0o644 });
    d.ok(['start', 'rmq']);
    okSh(
      'rmq',
      [
        `ln -s ${hostDir} /rw/dirlink`,
        `ln -s ${hostFile} /rw/filelink`,
        `mkdir -p /rw/deep/a && ln -s ${hostDir} /rw/deep/a/b`,
        `ln -s ${hostDir} /rootlink`,
        `ln -s ${hostFile} /tmp/filelink`,
        'echo data > /rw/data',
      ].join(' && '),
    );
    // Stop: the root upper is discarded, the private volume committed as a revision.
    d.ok(['shutdown', '--wait', 'rmq']);
    const vol = join(d.home, 'qubes', 'rmq');
    assert.deepEqual(filesWithSecret(vol), [], 'a revision or volume holds host bytes');
    assert.ok(readdirSync(join(vol, 'revisions')).length >= 1, 'positive control: a revision was committed');
    // Remove (with data, so --force): deletes the links, never what they point at.
    d.ok(['remove', '--force', 'rmq']);
    assert.ok(!existsSync(vol), 'the volumes are gone');
    assert.equal(readFileSync(join(hostDir, 'keep'), 'utf8'), `${secret}\n`, 'a host file behind a directory link was deleted');
    assert.equal(readFileSync(hostFile, 'utf8'), `${secret}\n`, 'a host file behind a file link was changed');
    assert.equal(statSync(hostDir).mode & 0o7777, 0o755);
  });

  it('template import: a root whose /etc/passwd or /etc/hostname links to a host file is refused, the host file unchanged', () => {
    for (const target of ['passwd', 'hostname']) {
      const hostFile = join(hostArea, `tmpl-${target}`);
      writeFileSync(hostFile, `${secret}\n`, { mode: 0o644 });
      const tree = mkdtempSync(join(hostArea, 'tree-'));
      for (const dir of ['etc', 'usr/bin', 'bin']) mkdirSync(join(tree, dir), { recursive: true });
      writeFileSync(join(tree, 'etc', 'group'), 'root:x:0:\n');
      if (target !== 'passwd') writeFileSync(join(tree, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
      spawnSync('ln', ['-s', hostFile, join(tree, 'etc', target)]);
      const tarball = join(hostArea, `evil-${target}.tar`);
      const t = spawnSync('tar', ['-cf', tarball, '-C', tree, '.']);
      assert.equal(t.status, 0);
      for (const source of [tarball, tree]) {
        const r = d.cli(['template', 'import', `evil-${target}`, source]);
        assert.notEqual(r.code, 0, `import of ${source} succeeded`);
        assert.match(r.stderr, /symlink|ERR_TEMPLATE/);
        assert.equal(readFileSync(hostFile, 'utf8'), `${secret}\n`, `the host file behind /etc/${target} changed`);
        assert.ok(!lsJson(d).some((q) => q.name === `evil-${target}`), 'no template is left behind');
      }
    }
  });
});
