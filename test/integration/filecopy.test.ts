// bh-filecopy pack | unpack through pipes: faithful copies, every unsafe name refused, limits, invisibility, 1 GiB.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  createReadStream,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  writeSync,
  closeSync,
  readFileSync,
  readlinkSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { NAME_CASES, toBytes } from '../../src/filecopy/cases.js';
import { crc32, decodeResult, decodeStream, encodeStream, Errno, S_IFREG, validFileName, validSymlink, type Entry } from '../../src/filecopy/index.js';
import { BIN, buildNative, listing, packUnpack, tempRoot, unpackStream } from './filecopy-helpers.js';

let root = '';
before(async () => {
  await buildNative();
  root = tempRoot('filecopy');
});
after(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

let n = 0;
/** A fresh receiving home and sending dir for one case. */
function world(): { home: string; src: string; incoming: string; base: string } {
  const base = join(root, `w${n++}`);
  const home = join(base, 'home');
  const src = join(base, 'src');
  mkdirSync(home, { recursive: true });
  mkdirSync(src, { recursive: true });
  mkdirSync(join(base, 'outside'));
  return { home, src, incoming: join(home, 'QubesIncoming', 'work'), base };
}

function sameTree(a: string, b: string): void {
  const entries = readdirSync(a).sort();
  assert.deepEqual(readdirSync(b).sort(), entries, `${b} lists the same names`);
  for (const e of entries) {
    const pa = join(a, e),
      pb = join(b, e);
    const sa = lstatSync(pa),
      sb = lstatSync(pb);
    if (sa.isSymbolicLink()) {
      assert.ok(sb.isSymbolicLink());
      assert.equal(readlinkSync(pb), readlinkSync(pa));
      continue;
    }
    assert.equal(sb.mode & 0o170777, sa.mode & 0o170777, `mode of ${pb}`);
    assert.equal(Math.floor(sb.mtimeMs), Math.floor(sa.mtimeMs), `mtime of ${pb}`);
    if (sa.isDirectory()) sameTree(pa, pb);
    else assert.ok(readFileSync(pb).equals(readFileSync(pa)), `content of ${pb}`);
  }
}

test('a tree of files, directories and symlinks arrives identical; setuid is dropped', async () => {
  const w = world();
  const t = join(w.src, 'tree');
  mkdirSync(join(t, 'docs/deep/er'), { recursive: true });
  writeFileSync(join(t, 'a.txt'), 'hello\n');
  writeFileSync(join(t, 'empty'), '');
  writeFileSync(join(t, 'docs/big.bin'), randomBytes(3 * 1024 * 1024 + 17));
  writeFileSync(join(t, 'docs/deep/er/ファイル.txt'), 'unicode\n');
  writeFileSync(join(t, 'private'), 'secret');
  chmodSync(join(t, 'private'), 0o600);
  writeFileSync(join(t, 'tool'), '#!/bin/sh\n');
  chmodSync(join(t, 'tool'), 0o4755);
  symlinkSync('a.txt', join(t, 'link-here'));
  symlinkSync('../big.bin', join(t, 'docs/deep/up'));
  chmodSync(join(t, 'docs/deep'), 0o750);
  utimesSync(join(t, 'a.txt'), 1_000_000, 1_234_567);
  const { pack, unpack } = await packUnpack([t], w.home, ['--from', 'work'], w.base);
  assert.equal(pack.code, 0, pack.stderr);
  assert.equal(unpack.code, 0, unpack.stderr);
  chmodSync(join(t, 'tool'), 0o755); // what should arrive
  sameTree(w.src, w.incoming);
  assert.equal(statSync(join(w.incoming, 'tree/tool')).mode & 0o7777, 0o755);
});

test('several arguments, trailing slashes; a second copy of the same file is refused with a clear message', async () => {
  const w = world();
  writeFileSync(join(w.src, 'one'), '1');
  mkdirSync(join(w.src, 'two'));
  writeFileSync(join(w.src, 'two/x'), 'x');
  let r = await packUnpack([join(w.src, 'one'), join(w.src, 'two') + '/'], w.home, ['--from', 'work'], w.base);
  assert.equal(r.pack.code, 0, r.pack.stderr);
  assert.equal(readFileSync(join(w.incoming, 'two/x'), 'utf8'), 'x');
  r = await packUnpack([join(w.src, 'one')], w.home, ['--from', 'work'], w.base);
  assert.equal(r.pack.code, 1);
  assert.match(r.pack.stderr, /already in the receiver's QubesIncoming.*one/);
});

test('the packer refuses what the receiver would refuse, before sending anything', async () => {
  const w = world();
  writeFileSync(join(w.src, 'bad\nname'), 'x');
  symlinkSync('/etc/passwd', join(w.src, 'abs'));
  mkdirSync(join(w.src, 'd'));
  symlinkSync('../../x', join(w.src, 'd/esc'));
  for (const f of ['bad\nname', 'abs', 'd', '.']) {
    const r = await packUnpack([join(w.src, f)], w.home, ['--from', 'work'], w.base);
    assert.equal(r.pack.code, 2, `${f}: ${r.pack.stderr}`);
    assert.match(r.pack.stderr, /bh-filecopy: /);
    assert.notEqual(r.unpack.code, 0); // the receiver saw no end marker
  }
  assert.deepEqual(readdirSync(w.incoming), []);
});

/** Entries for a name case: parents first when the case should be accepted. */
function caseEntries(c: (typeof NAME_CASES)[number]): Entry[] {
  const name = toBytes(c.name);
  const entries: Entry[] = [];
  if (c.ok) {
    const parts = Buffer.from(name).toString().split('/');
    for (let i = 1; i < parts.length; i++) entries.push({ kind: 'dir', name: parts.slice(0, i).join('/') });
  }
  if (c.target === undefined) entries.push({ kind: 'file', name, data: Buffer.from('payload') });
  else entries.push({ kind: 'symlink', name, target: toBytes(c.target) });
  return entries;
}

test('every name case: the receiver agrees with the table, refusals reach the sender, nothing lands outside', async () => {
  for (const c of NAME_CASES) {
    const w = world();
    // a hostile leftover: a symlink inside the incoming dir pointing outside it
    mkdirSync(w.incoming, { recursive: true });
    const before = listing(w.base, w.incoming);
    const stream = encodeStream(caseEntries(c));
    const r = await unpackStream(stream, w.home, ['--from', 'work']);
    const result = decodeResult(r.stdout);
    assert.deepEqual(listing(w.base, w.incoming), before, `${c.why}: nothing outside the incoming dir`);
    if (c.ok) {
      assert.equal(result.errno, 0, `${c.why}: ${r.stderr}`);
      assert.equal(result.crc32, crc32(0, stream), 'receiver CRC equals the TS CRC of the stream');
      assert.ok(existsSync(join(w.incoming, Buffer.from(toBytes(c.name)).toString())) || c.target !== undefined);
    } else {
      assert.equal(r.code, 1, c.why);
      assert.ok(result.errno === Errno.EILSEQ || result.errno === Errno.ENOENT, `${c.why}: errno ${result.errno}`);
      assert.match(r.stderr, /refused/);
      assert.deepEqual(listing(w.incoming), [], `${c.why}: nothing written`);
    }
  }
});

test('a pre-existing or received symlink is never followed when writing', async () => {
  const w = world();
  mkdirSync(w.incoming, { recursive: true });
  symlinkSync(join(w.base, 'outside'), join(w.incoming, 'out'));
  let r = await unpackStream(encodeStream([{ kind: 'file', name: 'out/pwn', data: Buffer.from('x') }]), w.home, ['--from', 'work']);
  assert.notEqual(decodeResult(r.stdout).errno, 0);
  r = await unpackStream(
    encodeStream([
      { kind: 'dir', name: 'd' },
      { kind: 'dir', name: 'd/e' },
      { kind: 'symlink', name: 'd/e/l', target: '../x' },
      { kind: 'file', name: 'd/e/l/pwn', data: Buffer.from('x') },
    ]),
    w.home,
    ['--from', 'work'],
  );
  assert.notEqual(decodeResult(r.stdout).errno, 0);
  assert.equal(Buffer.from(decodeResult(r.stdout).lastName).toString(), 'd/e/l/pwn');
  r = await unpackStream(encodeStream([{ kind: 'file', name: 'out', data: Buffer.from('x') }]), w.home, ['--from', 'work']);
  assert.equal(decodeResult(r.stdout).errno, Errno.EEXIST);
  assert.deepEqual(readdirSync(join(w.base, 'outside')), []);
});

test('devices, fifos, sockets and bad headers are refused', async () => {
  for (const mode of [0o020644, 0o060644, 0o010644, 0o140644]) {
    const w = world();
    const r = await unpackStream(encodeStream([{ kind: 'raw', header: { mode }, nameField: Buffer.from('x\0') }]), w.home, ['--from', 'work']);
    assert.equal(decodeResult(r.stdout).errno, Errno.EINVAL, mode.toString(8));
    assert.deepEqual(readdirSync(w.incoming), []);
  }
  const w = world();
  let r = await unpackStream(encodeStream([{ kind: 'raw', header: { mode: S_IFREG, namelen: 20000 }, nameField: new Uint8Array(0) }]), w.home, [
    '--from',
    'work',
  ]);
  assert.equal(decodeResult(r.stdout).errno, Errno.ENAMETOOLONG);
  r = await unpackStream(encodeStream([{ kind: 'raw', header: { mode: S_IFREG }, nameField: Buffer.from('abc') }]), w.home, ['--from', 'work']);
  assert.equal(decodeResult(r.stdout).errno, Errno.EILSEQ, 'name without NUL');
  r = await unpackStream(encodeStream([{ kind: 'file', name: 'x', data: Buffer.from('abc') }], { end: false }), w.home, ['--from', 'work']);
  assert.equal(decodeResult(r.stdout).errno, Errno.EREMOTEIO, 'no end marker');
  for (const from of ['', '1abc', 'a/b', 'dom0-dm', 'none', 'x'.repeat(32)]) {
    r = await unpackStream(new Uint8Array(32), w.home, ['--from', from]);
    assert.equal(r.code, 2, from);
  }
});

test('limits: file count and bytes; the sender is told', async () => {
  const w = world();
  const three: Entry[] = [1, 2, 3].map((i) => ({ kind: 'file', name: `f${i}`, data: Buffer.alloc(100, i) }));
  let r = await unpackStream(encodeStream(three), w.home, ['--from', 'work', '--max-files', '2']);
  assert.equal(decodeResult(r.stdout).errno, Errno.EDQUOT);
  assert.deepEqual(readdirSync(w.incoming).sort(), ['f1', 'f2']);
  const w2 = world();
  r = await unpackStream(encodeStream(three), w2.home, ['--from', 'work', '--max-bytes', '250']);
  assert.equal(decodeResult(r.stdout).errno, Errno.EDQUOT);
  assert.deepEqual(readdirSync(w2.incoming).sort(), ['f1', 'f2']);
  const w3 = world();
  r = await unpackStream(encodeStream(three), w3.home, ['--from', 'work', '--max-bytes', '300', '--max-files', '3']);
  assert.equal(decodeResult(r.stdout).errno, 0, r.stderr);
  // through the real sender
  const w4 = world();
  for (const i of [1, 2, 3]) writeFileSync(join(w4.src, `f${i}`), 'x');
  const p = await packUnpack([join(w4.src, 'f1'), join(w4.src, 'f2'), join(w4.src, 'f3')], w4.home, ['--from', 'work', '--max-files', '2'], w4.base);
  assert.equal(p.pack.code, 1);
  assert.match(p.pack.stderr, /limit/);
});

for (const mode of ['O_TMPFILE', 'hidden temporary name']) {
  test(`a partly received file is not visible under its final name, nor after the sender stops (${mode})`, async () => {
    const env: Record<string, string> = mode === 'O_TMPFILE' ? {} : { BH_FILECOPY_NO_TMPFILE: '1' };
    const w = world();
    const full = encodeStream([{ kind: 'file', name: 'partial.bin', data: Buffer.alloc(100_000, 7) }], { end: false });
    let seen: string[] = ['not checked'];
    const r = await unpackStream(
      full.subarray(0, 60_000),
      w.home,
      ['--from', 'work'],
      async () => {
        await new Promise((res) => setTimeout(res, 300));
        seen = readdirSync(w.incoming);
      },
      env,
    );
    assert.ok(!seen.includes('partial.bin') && seen.every((s) => s.startsWith('.bh-partial.')), seen.join(','));
    assert.equal(seen.length, mode === 'O_TMPFILE' ? 0 : 1);
    assert.equal(decodeResult(r.stdout).errno, Errno.LEGAL_EOF);
    assert.deepEqual(readdirSync(w.incoming), []);
    // and a complete file arrives under its name
    const ok = await unpackStream(
      encodeStream([{ kind: 'file', name: 'whole.bin', data: Buffer.alloc(3_000_000, 9) }]),
      w.home,
      ['--from', 'work'],
      undefined,
      env,
    );
    assert.equal(decodeResult(ok.stdout).errno, 0, ok.stderr);
    assert.deepEqual(readdirSync(w.incoming), ['whole.bin']);
    assert.ok(readFileSync(join(w.incoming, 'whole.bin')).equals(Buffer.alloc(3_000_000, 9)));
  });
}

test('names: the C receiver and the TS validator agree (table, every code point, random bytes)', async () => {
  const lines: string[] = [];
  const expect: boolean[] = [];
  const add = (name: Uint8Array, target?: Uint8Array) => {
    lines.push(Buffer.from(name).toString('hex') + (target ? ' ' + Buffer.from(target).toString('hex') : ''));
    expect.push(target ? validSymlink(name, target) : validFileName(name));
  };
  for (const c of NAME_CASES) add(toBytes(c.name), c.target === undefined ? undefined : toBytes(c.target));
  const utf8 = (cp: number): number[] =>
    cp < 0x80
      ? [cp]
      : cp < 0x800
        ? [0xc0 | (cp >> 6), 0x80 | (cp & 63)]
        : cp < 0x10000
          ? [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)]
          : [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
  for (let cp = 1; cp < 0x110000; cp++) add(Uint8Array.from([0x61, ...utf8(cp)]));
  for (let i = 0; i < 20000; i++) {
    const b = randomBytes(1 + (i % 12));
    for (let k = 0; k < b.length; k++) if (b[k] === 0x0a) b[k] = 0x2f; // newline separates records
    if (i % 3 === 0)
      add(
        Uint8Array.from([0x64, 0x2f, 0x65, 0x2f, ...b]),
        randomBytes(1 + (i % 6)).map((x) => (x === 0x0a ? 0x2e : x)),
      );
    else add(b);
  }
  const child = spawn(BIN, ['check-names'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const out: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stdin.end(lines.join('\n') + '\n');
  await new Promise((res) => child.on('close', res));
  const got = Buffer.concat(out).toString().trim().split('\n');
  assert.equal(got.length, lines.length);
  let allowedCodePoints = 0;
  for (let i = 0; i < lines.length; i++) {
    if ((got[i] === 'ok') !== expect[i]) assert.fail(`disagree on ${lines[i]}: C ${got[i]}, TS ${expect[i]}`);
    if (expect[i] && i >= NAME_CASES.length && i < NAME_CASES.length + 0x10ffff) allowedCodePoints++;
  }
  assert.ok(allowedCodePoints > 50_000 && allowedCodePoints < 200_000, `${allowedCodePoints} code points allowed`);
});

test('fuzz the C receiver: mutated streams never crash it, always get an answer, never escape, and agree with the TS decoder', async () => {
  const seed: Entry[] = [
    { kind: 'dir', name: 'd' },
    { kind: 'dir', name: 'd/e' },
    { kind: 'file', name: 'd/e/f', data: Buffer.from('0123456789') },
    { kind: 'symlink', name: 'd/e/l', target: '../x' },
    { kind: 'file', name: 'top', data: Buffer.alloc(40, 1) },
    { kind: 'dir', name: 'd', mode: 0o700 },
  ];
  const base = encodeStream(seed);
  const validation = new Set<number>([Errno.EILSEQ, Errno.EINVAL, Errno.ENAMETOOLONG, Errno.EDQUOT]);
  for (let round = 0; round < 250; round++) {
    const s = Buffer.from(base);
    for (let k = 0; k < 1 + (round % 4); k++) s[Math.floor(Math.random() * s.length)] = Math.floor(Math.random() * 256);
    const cut = round % 5 === 0 ? s.subarray(0, Math.floor(Math.random() * s.length)) : s;
    const w = world();
    mkdirSync(w.incoming, { recursive: true });
    const before = listing(w.base, w.incoming);
    const r = await unpackStream(cut, w.home, ['--from', 'work', '--max-bytes', '100000', '--max-files', '50']);
    assert.ok(r.code === 0 || r.code === 1, `exit ${r.code} ${r.stderr}`);
    assert.ok(r.stdout.length >= 20, 'an answer with its name length');
    const c = decodeResult(r.stdout);
    assert.deepEqual(listing(w.base, w.incoming), before, 'nothing outside the incoming dir');
    let tsErrno = 0;
    try {
      decodeStream(cut, { maxBytes: 100000n, maxFiles: 50 });
    } catch (e) {
      tsErrno = (e as { errno: number }).errno;
    }
    if (tsErrno !== 0) assert.notEqual(c.errno, 0, `C accepted a stream TS refuses (${tsErrno}): ${cut.toString('hex')}`);
    if (validation.has(c.errno)) assert.notEqual(tsErrno, 0, `C refused with ${c.errno}, TS accepted: ${cut.toString('hex')}`);
    rmSync(w.base, { recursive: true, force: true });
  }
});

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

test('a 1 GiB file arrives byte-identical (sha256); throughput reported', async () => {
  const base = existsSync('/dev/shm') ? tempRoot('filecopy-big', '/dev/shm') : join(root, 'big');
  try {
    const home = join(base, 'home');
    mkdirSync(home, { recursive: true });
    const file = join(base, 'big.bin');
    const fd = openSync(file, 'w');
    const chunk = Buffer.allocUnsafe(1 << 24);
    for (let i = 0; i < 64; i++) {
      randomFillSync(chunk);
      writeSync(fd, chunk);
    }
    closeSync(fd);
    const t0 = process.hrtime.bigint();
    const { pack, unpack } = await packUnpack([file], home, ['--from', 'work'], base);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    assert.equal(pack.code, 0, pack.stderr);
    assert.equal(unpack.code, 0, unpack.stderr);
    const got = join(home, 'QubesIncoming/work/big.bin');
    assert.equal(await sha256(got), await sha256(file));
    const mbps = (1 << 30) / 1e6 / secs;
    console.log(`# 1 GiB copy through pipes: ${secs.toFixed(2)} s, ${mbps.toFixed(0)} MB/s (${base.startsWith('/dev/shm') ? 'tmpfs' : 'disk'})`);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
