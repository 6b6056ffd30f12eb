// Unit tests of the examiner's report: read-only evidence, the chain and its anchor, timeline events, escaping in HTML and JSON lines.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { appendAudit } from '../../../state/audit.js';
import { openDatabase, StateStore } from '../../../state/index.js';
import { chainInWorker, ChainWalker, HtmlCollector, jsonlLine, openEvidence, parseAnchor, ReportPass, toEvent, type ReportHeader } from './index.js';

let dir = '';
const EVIL = '<img src=x onerror=alert(1)>';

function hashes(d: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(d))
    out[f] = createHash('sha256')
      .update(readFileSync(join(d, f)))
      .digest('hex');
  return out;
}

async function makeState(): Promise<string> {
  const home = mkdtempSync(join(tmpdir(), `${process.env.BULKHEAD_TEST_RUN ?? 'bht'}-report-`));
  const db = await openDatabase(join(home, 'state.db'));
  const s = new StateStore(db);
  s.createQube('admin', { name: 'work', klass: 'app', label: 'green', props: { template: 'debian-12' } });
  // The store does not check names (the API does): a forged name reaches the report as data.
  s.createQube('admin', { name: `q${EVIL}`, klass: 'app', label: 'red', props: {} });
  s.setPower('admin', 'work', 'running', 'qube-started', { pid: 1 });
  s.audit('rpc', 'rpc-decision', 'work', {
    id: 'a',
    source: 'work',
    requested: 'vault',
    service: 'qubes.Filecopy',
    argument: `+${EVIL}`,
    result: 'allow',
    target: 'vault',
  });
  s.audit('rpc', 'rpc-call-end', 'work', {
    id: 'a',
    source: 'work',
    requested: 'vault',
    service: 'qubes.Filecopy',
    argument: '+',
    target: 'vault',
    exit: 0,
    end: 'exit',
  });
  s.setFirewallRules('admin', 'work', ['action=drop']);
  s.setPower('admin', 'work', 'halted', 'qube-stopped', { reason: 'shutdown' });
  db.close();
  return home;
}

before(async () => {
  dir = await makeState();
});
/** Tampered copies, removed after the tests also when one fails. */
const copies: string[] = [];
after(() => {
  for (const d of [dir, ...copies]) rmSync(d, { recursive: true, force: true });
});

test('the report reads a copy without changing a byte or adding a file', async () => {
  const beforeH = hashes(dir);
  const ev = await openEvidence(dir);
  const pass = new ReportPass(ev.db, ev.stateDir);
  const events = [...pass.events()];
  const s = await pass.summary();
  ev.close();
  assert.deepEqual(hashes(dir), beforeH);
  assert.equal(s.chain.ok, true);
  assert.equal(s.chain.rows, events.length);
  const work = s.inventory.find((q) => q.name === 'work')!;
  assert.equal(work.template, 'debian-12');
  assert.ok(work.lastStarted && work.lastStopped);
  assert.deepEqual(
    events.map((e) => e.category),
    ['lifecycle', 'lifecycle', 'lifecycle', 'filecopy', 'filecopy', 'firewall', 'lifecycle'],
  );
  const fc = events[3]!;
  assert.equal(fc.target, 'vault');
  assert.equal(fc.decision, 'allow');
  assert.match(fc.message, /^work → vault: qubes\.Filecopy\+<img/);
  assert.ok(ev.files.find((f) => f.path.endsWith('state.db'))?.sha256.match(/^[0-9a-f]{64}$/));
});

test('HTML: self-contained, qube-supplied text escaped', async () => {
  const ev = await openEvidence(dir);
  const pass = new ReportPass(ev.db, ev.stateDir);
  const html = new HtmlCollector();
  for (const e of pass.events()) html.add(e);
  const header: ReportHeader = { tool: 'bulkhead', generatedAt: 'now', stateDir: dir, files: ev.files };
  const page = html.page(header, await pass.summary());
  ev.close();
  assert.ok(!page.includes('<img'), 'no markup from a qube name or RPC argument');
  assert.ok(page.includes('&lt;img src=x onerror=alert(1)&gt;'));
  assert.ok(!/<script|<[a-z][^>]*\s(src|href)=|url\(|@import/i.test(page), 'no script and no external resource');
  assert.match(page, /<svg [^>]*role="img"/);
  assert.match(page, /Content-Security-Policy" content="default-src 'none'/);
});

test('JSON lines carry the Timesketch fields', async () => {
  const ev = await openEvidence(dir);
  const e = [...new ReportPass(ev.db, ev.stateDir).events()][3]!;
  ev.close();
  const l = JSON.parse(jsonlLine(e)) as Record<string, unknown>;
  assert.equal(typeof l.message, 'string');
  assert.equal(l.datetime, e.time);
  assert.equal(l.timestamp, Date.parse(e.time) * 1000);
  assert.equal(l.timestamp_desc, 'RPC Call Decided');
});

/** Opens a copy of the state database as a writer who ignores the append-only triggers would. */
async function tamper(fn: (db: Database.Database) => void): Promise<string> {
  const copy = mkdtempSync(join(tmpdir(), `${process.env.BULKHEAD_TEST_RUN ?? 'bht'}-tamper-`));
  copies.push(copy);
  const src = new Database(join(dir, 'state.db'), { readonly: true });
  await src.backup(join(copy, 'state.db'));
  src.close();
  const db = new Database(join(copy, 'state.db'));
  db.exec('DROP TRIGGER audit_append_only_update; DROP TRIGGER audit_append_only_delete;');
  fn(db);
  db.close();
  return copy;
}

async function chainOf(home: string, anchor?: string, worker = false) {
  const ev = await openEvidence(home);
  const a = anchor ? parseAnchor(anchor) : undefined;
  const pass = new ReportPass(ev.db, ev.stateDir, a, worker ? chainInWorker(ev.dbPath, a, ev.db) : undefined);
  for (const _ of pass.events()) {
    /* walk */
  }
  try {
    return (await pass.summary()).chain;
  } finally {
    ev.close();
  }
}

test('an anchor detects a truncated tail and a rewritten tail; an edit names the first broken row', async () => {
  const good = await chainOf(dir);
  const anchor = `${good.head}:${good.rows}`;
  assert.equal((await chainOf(dir, anchor)).ok, true);

  const truncated = await tamper((db) => db.prepare('DELETE FROM audit WHERE seq >= ?').run(good.rows - 1));
  const t = await chainOf(truncated, anchor);
  assert.equal(t.ok, false);
  assert.match(t.anchor!.reason!, /truncated/);

  // Rewritten: the last two rows replaced by new, correctly hashed ones; the chain itself verifies.
  const rewritten = await tamper((db) => {
    db.prepare('DELETE FROM audit WHERE seq >= ?').run(good.rows - 1);
    appendAudit(db, 'admin', 'qube-stopped', 'work', { reason: 'innocent' });
    appendAudit(db, 'admin', 'qube-started', 'work', {});
  });
  const r = await chainOf(rewritten, anchor);
  assert.equal(r.anchor?.ok, false);
  assert.match(r.anchor!.reason!, /rewritten/);
  assert.equal((await chainOf(rewritten)).ok, true, 'without the anchor the rewrite is invisible');

  const edited = await tamper((db) => db.prepare("UPDATE audit SET detail = '{}' WHERE seq = 4").run());
  const e = await chainOf(edited);
  assert.deepEqual([e.ok, e.brokenAt], [false, 4]);
  // The same verdicts when a worker thread walks the chain (as the CLI does).
  assert.deepEqual(await chainOf(edited, undefined, true), e);
  assert.deepEqual(await chainOf(truncated, anchor, true), t);
  assert.deepEqual(await chainOf(dir, anchor, true), await chainOf(dir, anchor));
});

test('anchors: bad forms are refused with the field named', () => {
  assert.throws(() => parseAnchor('abc:1'), /--anchor/);
  assert.throws(() => parseAnchor(`${'a'.repeat(64)}:x`), /--anchor/);
  assert.deepEqual(parseAnchor(`${'a'.repeat(64)}:12`), { hash: 'a'.repeat(64), length: 12 });
  const w = new ChainWalker({ hash: 'b'.repeat(64), length: 0 });
  assert.equal(w.result().anchor?.ok, false);
});

test('an unparsable detail becomes data, not a crash', () => {
  const e = toEvent({ seq: 1, time: 'x', actor: 'a', event: 'weird', qube: null, detail: '{not json', prev_hash: '', hash: '' });
  assert.deepEqual(e.detail, { unparsed: '{not json' });
});
