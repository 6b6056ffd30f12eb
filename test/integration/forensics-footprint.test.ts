// On a running system (a daemon with a template, app qubes, a netvm and a running disposable): every listed path is there when it should be, nothing unlisted is; the report of a copy leaves it unchanged.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { fillPattern, footprintTable, stateMatcher, type Artefact, type Presence } from '../../src/features/forensics/footprint/index.js';
import { cgroupDirs, detectCgroupLayout } from '../../src/runtime/ns/cgroups.js';
import { CGROUP_PARENT } from '../../src/runtime/ns/host-paths.js';
import { UID_REGISTRY_DIR } from '../../src/daemon/paths.js';
import { CLI } from './helpers/daemon.js';
import { coreDaemon, lsJson, type CoreDaemon, type LsEntry } from './core-fixture.js';

/** Every path below `top` (relative), not descending into other file systems (a mounted image is counted as its mount point). */
function walk(top: string): string[] {
  const out: string[] = [];
  const dev = lstatSync(top).dev;
  const stack = [''];
  while (stack.length) {
    const rel = stack.pop()!;
    for (const n of readdirSync(rel ? join(top, rel) : top)) {
      const r = rel ? `${rel}/${n}` : n;
      out.push(r);
      const st = lstatSync(join(top, r));
      if (st.isDirectory() && st.dev === dev) stack.push(r);
    }
  }
  return out;
}

function sha(dir: string): Record<string, string> {
  const h: Record<string, string> = {};
  for (const f of readdirSync(dir))
    h[f] = createHash('sha256')
      .update(readFileSync(join(dir, f)))
      .digest('hex');
  return h;
}

describe('forensics footprint and report on a running system', { timeout: 600_000 }, () => {
  let d: CoreDaemon;
  let disp: ChildProcess | undefined;
  let dispName = '';
  let qubes: LsEntry[] = [];
  const table = footprintTable({ cacheDir: '/var/cache/bulkhead' });

  before(async () => {
    d = await coreDaemon('fp');
    d.ok(['create', 'work', '--template', 'debian-12', '--label', 'green']);
    d.ok(['create', 'sys-net', '--template', 'debian-12', '--label', 'red', '--prop', 'provides_network=true']);
    d.ok(['create', 'online', '--template', 'debian-12', '--label', 'yellow', '--prop', 'netvm=sys-net']);
    d.ok(['create', 'dvm', '--template', 'debian-12', '--label', 'red', '--prop', 'template_for_dispvms=true']);
    d.ok(['start', 'work', 'online']);
    d.ok(['run', 'work', '--', 'sh', '-c', 'echo note > /home/user/note']);
    d.ok(['shutdown', 'work']);
    d.ok(['start', 'work']);
    // A disposable that stays up while the state directory is looked at.
    disp = spawn(CLI, ['run', '--dispvm', 'dvm', '--', 'sh', '-c', 'hostname; sleep 30'], { env: d.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    disp.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
    });
    for (let i = 0; i < 200 && !/disp\d+/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    dispName = /(disp\d+)/.exec(out)?.[1] ?? '';
    assert.ok(dispName, `no disposable name printed: ${out}`);
    qubes = lsJson(d);
  });

  after(async () => {
    if (disp && disp.exitCode === null) disp.kill('SIGKILL');
    await d?.destroy();
  });

  it('every file under the state directory matches a listed pattern (nothing unlisted)', () => {
    const m = stateMatcher(table);
    const all = walk(d.home);
    assert.ok(all.length > 100 && all.includes('state.db') && all.some((r) => r.startsWith(`qubes/${dispName}/`)), `walked ${all.length} paths`);
    const unlisted = all.filter((rel) => m.match(rel) === null);
    assert.deepEqual(unlisted, []);
  });

  it('every listed path of the state directory exists when it should', () => {
    const running = (q: LsEntry) => q.state.toLowerCase() === 'running';
    const volumeQubes = qubes.filter((q) => q.klass !== 'AdminVM');
    const cls = (q: LsEntry) => q.klass.toLowerCase();
    const whoFor: Partial<Record<Presence, LsEntry[] | 'once'>> = {
      state: 'once',
      daemon: 'once',
      qube: volumeQubes,
      'own-root': volumeQubes.filter((q) => /template|standalone/.test(cls(q))),
      'app-root': volumeQubes.filter((q) => /app|disp/.test(cls(q))),
      running: volumeQubes.filter(running),
      'running-app': volumeQubes.filter((q) => running(q) && /app|disp/.test(cls(q))),
      networked: volumeQubes.filter((q) => running(q) && q.netvm),
    };
    assert.ok(
      volumeQubes.some((q) => q.name === dispName && running(q)),
      `the disposable ${dispName} runs`,
    );
    assert.ok(
      (whoFor.networked as LsEntry[]).some((q) => q.name === 'online'),
      'a networked qube runs',
    );
    const missing: string[] = [];
    let checked = 0;
    for (const a of table.filter((x) => x.scope === 'state' && !x.pattern.includes('*'))) {
      const who = whoFor[a.presence];
      if (!who) continue;
      const paths = who === 'once' ? [a.pattern] : who.map((q) => fillPattern(a.pattern, { qube: q.name }));
      for (const p of paths) {
        if (p.includes('{')) continue; // one of many (a version, a revision): the walk above names each
        checked++;
        if (!existsSync(join(d.home, p)) && !lstatOk(join(d.home, p))) missing.push(`${a.id}: ${p}`);
      }
    }
    assert.deepEqual(missing, []);
    assert.ok(checked > 60, `checked ${checked} paths`);
  });

  it('host and kernel entries of running qubes exist: crun state, cgroup, uid claim, netns', () => {
    const prefix = d.prefix;
    const byId = new Map(table.map((a) => [a.id, a] as [string, Artefact]));
    const run = qubes.filter((q) => q.state.toLowerCase() === 'running' && q.klass !== 'AdminVM');
    for (const q of run) {
      assert.ok(existsSync(fillPattern(byId.get('crun-state')!.pattern, { prefix, qube: q.name })), `crun state of ${q.name}`);
      const dirs = cgroupDirs(detectCgroupLayout(), `${CGROUP_PARENT}/${prefix}-${q.name}`);
      assert.ok(
        dirs.some((c) => existsSync(c)),
        `cgroup of ${q.name}: ${dirs.join(', ')}`,
      );
    }
    assert.ok(existsSync(fillPattern(byId.get('netns')!.pattern, { prefix, qube: 'online' })), 'netns of the networked qube');
    const claims = readdirSync(UID_REGISTRY_DIR)
      .filter((f) => f.endsWith('.json'))
      .map((f) => readFileSync(join(UID_REGISTRY_DIR, f), 'utf8'));
    assert.ok(
      claims.some((c) => c.includes(d.home)),
      'a uid claim names this state directory',
    );
  });

  it('`forensics footprint --json` lists the state directory and the same entries', () => {
    const j = JSON.parse(d.ok(['forensics', 'footprint', '--json'])) as { stateDirectory: string; artefacts: { id: string; path: string }[] };
    assert.equal(j.stateDirectory, d.home);
    assert.deepEqual(
      j.artefacts.map((a) => a.id),
      table.map((a) => a.id),
    );
    assert.ok(j.artefacts.find((a) => a.id === 'database')!.path === join(d.home, 'state.db'));
  });

  it('the report of a copied state directory: inventory, timeline, verified chain; the copy unchanged; an anchor catches a cut tail', async () => {
    // The examiner's copy: the database, its WAL and the pool's top level (sizes come from the files).
    const copy = mkdtempSync(join('/var/tmp', `${process.env.BULKHEAD_TEST_RUN ?? 'bht'}-fpcopy-`));
    try {
      for (const f of ['state.db', 'state.db-wal']) if (existsSync(join(d.home, f))) copyFileSync(join(d.home, f), join(copy, f));
      const before = sha(copy);
      const r = d.cli(['forensics', 'report', '--state', copy, '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /audit chain verified/);
      const rep = JSON.parse(r.stdout) as {
        timeline: { event: string; qube: string | null; category: string }[];
        inventory: { name: string; lastStarted: string | null }[];
        chain: { ok: boolean; rows: number; head: string };
      };
      assert.deepEqual(sha(copy), before, 'the copy is byte-identical and no file was added');
      assert.ok(rep.chain.ok);
      assert.ok(rep.inventory.find((q) => q.name === 'work')?.lastStarted);
      assert.ok(
        rep.timeline.some((e) => e.event === 'qube-started' && e.qube === dispName),
        'the disposable start is on the timeline',
      );
      assert.ok(rep.timeline.some((e) => e.event === 'qube-exec' && e.qube === 'work'));

      const jl = d.cli(['forensics', 'report', '--state', copy, '--jsonl']);
      const lines = jl.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(lines.length, rep.chain.rows);
      for (const k of ['message', 'datetime', 'timestamp_desc', 'timestamp']) assert.ok(k in lines[0]!, k);

      const anchor = d.ok(['forensics', 'anchor', '--state', copy]).trim();
      assert.equal(anchor, `${rep.chain.head}:${rep.chain.rows}`);
      assert.equal(d.cli(['forensics', 'report', '--state', copy, '--anchor', anchor]).code, 0);
      // Cut the tail as someone who drops the append-only triggers would.
      const db = new Database(join(copy, 'state.db'));
      db.exec('DROP TRIGGER audit_append_only_delete');
      db.prepare('DELETE FROM audit WHERE seq > ?').run(rep.chain.rows - 3);
      db.close();
      const cut = d.cli(['forensics', 'report', '--state', copy, '--anchor', anchor]);
      assert.equal(cut.code, 3, cut.stderr);
      assert.match(cut.stderr, /truncated/);
      const html = d.cli(['forensics', 'report', '--state', copy, '--html']);
      assert.equal(html.code, 0, 'without the anchor a cut tail still verifies: the anchor is what catches it');
      assert.match(html.stdout, /^<!doctype html>/);
      if (process.env.BULKHEAD_REPORT_HTML) writeFileSync(process.env.BULKHEAD_REPORT_HTML, html.stdout);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

/** True for a dangling entry that existsSync cannot see (a socket or link). */
function lstatOk(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
