// Unit tests of the broker's bounds: token buckets, audit row size and rate, disposables per qube, peer credentials.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import type { SystemView } from '../../../model/index.js';
import { AUDIT_BOUNDS, boundAuditDetail, openDatabase, readAudit, StateStore, verifyAudit } from '../../../state/index.js';
import { AuditBatcher } from './audit.js';
import { DispvmQuota } from './dispvm-limit.js';
import { peerCred, peerInRange } from '../../../native/peer.js';
import { TokenBuckets } from './rate.js';

const quiet = pino({ level: 'silent' });
const sys = (globals: Record<string, string | null> = {}): SystemView => ({ qubes: new Map(), globals });

test('token buckets: a burst, then the steady rate, per key; full buckets are forgotten', () => {
  const b = new TokenBuckets({ burst: 3, perSecond: 2 });
  assert.deepEqual(
    [1, 2, 3, 4].map(() => b.take('a', 0)),
    [true, true, true, false],
  );
  assert.equal(b.take('b', 0), true, 'keys are independent');
  assert.equal(b.take('a', 400), false, '0.8 token after 400 ms');
  assert.equal(b.take('a', 500), true, 'one token after 500 ms');
  assert.equal(b.take('a', 500), false);
  assert.equal(b.take('a', 10_000), true);
  b.sweep(1_000_000);
  assert.equal(b.size, 0);
  assert.throws(() => new TokenBuckets({ burst: 0, perSecond: 1 }), RangeError);
  assert.throws(() => new TokenBuckets({ burst: 1, perSecond: 0 }), RangeError);
});

test('audit detail bound: long strings, control characters, long arrays and deep nesting are cut and marked', () => {
  const big = 'a'.repeat(65_536);
  const d = boundAuditDetail({ argument: big, service: 'qubes.Filecopy', n: 3, ok: true }) as Record<string, unknown>;
  assert.equal(d.service, 'qubes.Filecopy');
  assert.equal(d.n, 3);
  assert.equal(d.truncated, true);
  assert.match(String(d.argument), /^a{1024}…\[cut 64512 bytes\]$/);
  const nul = boundAuditDetail({ x: '\0'.repeat(10_000) }) as Record<string, string>;
  assert.ok(JSON.stringify(nul.x).length < AUDIT_BOUNDS.maxString + 40, 'escaped control characters count as their JSON text');
  const many = boundAuditDetail({ ignoredFields: Array.from({ length: 1000 }, () => 'f'.repeat(2000)) }) as { ignoredFields: string[] };
  assert.equal(many.ignoredFields.length, AUDIT_BOUNDS.maxItems + 1);
  assert.equal(many.ignoredFields.at(-1), `…[${1000 - AUDIT_BOUNDS.maxItems} more]`);
  assert.ok(JSON.stringify(many).length < AUDIT_BOUNDS.maxTotal + 2000, `whole detail bounded: ${JSON.stringify(many).length}`);
  const deep = boundAuditDetail({ a: { b: { c: { d: { e: { f: 'x' } } } } } });
  assert.match(JSON.stringify(deep), /nested too deep/);
  const small = { source: 'work', exit: 0, list: ['a', 'b'] };
  assert.deepEqual(boundAuditDetail(small), small, 'small details pass unchanged, without truncated');
  // Multi-byte characters are never split.
  const emoji = boundAuditDetail({ x: '😀'.repeat(1000) }) as Record<string, string>;
  assert.doesNotMatch(emoji.x, /\uFFFD/);
  assert.ok(Buffer.byteLength(emoji.x.split('…')[0]!) <= AUDIT_BOUNDS.maxString);
});

test('audit batcher: a flood from one source writes the burst, the rate and one summary row, each row bounded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bh-audit-'));
  const db = await openDatabase(join(dir, 'state.db'));
  try {
    const store = new StateStore(db);
    let now = 1_000_000;
    const a = new AuditBatcher(store, quiet, { windowMs: 5, rate: { burst: 10, perSecond: 2 }, summaryEveryMs: 20, now: () => now });
    const written: boolean[] = [];
    for (let i = 0; i < 1000; i++) written.push(a.add('rpc', 'rpc-decision', 'work', { argument: 'z'.repeat(65_536), i }));
    now += 1000; // two more tokens
    for (let i = 0; i < 5; i++) written.push(a.add('rpc', 'rpc-decision', 'work', { i }));
    assert.equal(a.add('rpc', 'rpc-decision', 'personal', { other: true }), true, 'another source has its own bucket');
    assert.equal(written.filter(Boolean).length, 12);
    await new Promise((r) => setTimeout(r, 60)); // the summary is due after 20 ms
    a.flush(true);
    const rows = readAudit(db, { limit: 10_000 });
    assert.equal(rows.filter((r) => r.qube === 'work' && r.event === 'rpc-decision').length, 12);
    const sums = rows.filter((r) => r.event === 'rpc-audit-suppressed');
    assert.equal(sums.length, 1);
    assert.deepEqual(
      { ...JSON.parse(sums[0]!.detail), first: 0, last: 0 },
      { source: 'work', suppressed: 993, events: { 'rpc-decision': 993 }, first: 0, last: 0 },
    );
    for (const r of rows) assert.ok(r.detail.length < 1200, `row ${r.seq}: ${r.detail.length} bytes`);
    assert.equal(verifyAudit(db).ok, true);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("disposables per qube: the limit holds, slots come back, a disposable's calls count for the qube that made it", () => {
  const q = new DispvmQuota();
  const s = sys({ max_dispvms_per_qube: '2' });
  const t1 = q.acquire('work', s);
  const t2 = q.acquire('work', s);
  assert.throws(
    () => q.acquire('work', s),
    (e: Error & { code?: string }) => e.code === 'ERR_PERMISSION' && /holds 2 disposables.*limit is 2 \(global max_dispvms_per_qube\)/.test(e.message),
  );
  assert.doesNotThrow(() => q.acquire('personal', s).release(), 'other qubes have their own count');
  t1.made('disp1');
  assert.throws(() => q.acquire('disp1', s), /'work' \(through its disposable 'disp1'\) holds 2/);
  t2.release();
  const t3 = q.acquire('disp1', s);
  assert.equal(t3.origin, 'work');
  t3.release();
  t3.release(); // twice is harmless
  t1.release();
  assert.equal(q.inUse('work'), 0);
  assert.equal(q.originOf('disp1'), 'disp1', 'a gone disposable is charged to no one');
  // Default 4; 0 forbids @dispvm calls.
  const d = new DispvmQuota();
  for (let i = 0; i < 4; i++) d.acquire('work', sys());
  assert.throws(() => d.acquire('work', sys()), /limit is 4/);
  assert.throws(() => new DispvmQuota().acquire('work', sys({ max_dispvms_per_qube: '0' })), /limit is 0/);
});

test('peer credentials: SO_PEERCRED of a real connection, and the range check', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bh-peer-'));
  const path = join(dir, 's.sock');
  try {
    const got = await new Promise<{ pid: number; uid: number; gid: number }>((resolve, reject) => {
      const srv = createServer({ pauseOnConnect: true }, (s: Socket) => {
        try {
          resolve(peerCred(s));
        } catch (e) {
          reject(e as Error);
        }
        s.destroy();
        srv.close();
      });
      srv.listen(path, () => {
        connect(path).on('error', () => undefined);
      });
    });
    assert.deepEqual(got, { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const r = { first: 131072, count: 65536 };
  assert.equal(peerInRange({ pid: 1, uid: 131072, gid: 131072 }, r), true);
  assert.equal(peerInRange({ pid: 1, uid: 131072 + 65535, gid: 132072 }, r), true);
  assert.equal(peerInRange({ pid: 1, uid: 131072 + 65536, gid: 131072 }, r), false);
  assert.equal(peerInRange({ pid: 1, uid: 0, gid: 0 }, r), false);
  assert.equal(peerInRange({ pid: 1, uid: 65534, gid: 131072 }, r), false);
  assert.equal(peerInRange({ pid: 1, uid: 131072, gid: 65534 }, r), false, "the gid must be the qube's too");
  assert.equal(peerInRange({ pid: 1, uid: 131072, gid: 131072 }, { first: 131072, count: 1 }), true);
  assert.equal(peerInRange({ pid: 1, uid: 131073, gid: 131072 }, { first: 131072, count: 1 }), false);
});
