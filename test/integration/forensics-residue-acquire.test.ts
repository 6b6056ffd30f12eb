// Acceptance of forensics sections 1, 2 and 5 on a state directory that is its own loop-mounted ext4 image: amnesic disposables leave no canary (a deleted control file's and a non-amnesic disposable's are found), swap rule, audit level, tmpfs charged to the qube, acquisition read by The Sleuth Kit.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { coreDaemon, crunState, memoryCgroupOf, memoryCharged, type CoreDaemon } from './core-fixture.js';
import { scanTree } from '../../src/features/forensics/residue/walk.js';
import type { ResidueReport } from '../../src/features/forensics/residue/types.js';
import type { AcquireManifest } from '../../src/features/forensics/acquire/acquire.js';

const RUN = process.env.BULKHEAD_TEST_RUN ?? 'bht';
const IMG = `/var/tmp/${RUN}-residue.img`;
const HOME = `/var/tmp/${RUN}-residue-home`;
const SWAPS = `/var/tmp/${RUN}-residue-swaps`;
const OUT = `/var/tmp/${RUN}-acquire`;
const SWAP_HEADER = 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n';
const MIB = 1024 * 1024;

const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000 });
const must = (cmd: string, args: string[]) => {
  const r = sh(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

describe('forensics: amnesic disposables, residue proof, acquisition', { timeout: 600_000 }, () => {
  let d: CoreDaemon;
  const residue = (template: string) => {
    const r = d.cli(['forensics', 'residue', '--template', template, '--only', 'state,device', '--json'], undefined, 300_000);
    if (r.code !== 0 && r.code !== 1) throw new Error(`forensics residue exited ${r.code}: ${r.stderr}${r.stdout}`);
    try {
      return { code: r.code, report: JSON.parse(r.stdout) as ResidueReport };
    } catch {
      throw new Error(`forensics residue exited ${r.code} without a report: ${r.stderr}`);
    }
  };

  before(async () => {
    for (const p of [IMG, HOME, SWAPS, OUT]) if (existsSync(p)) throw new Error(`${p} exists: a run with the same prefix is under way`);
    must('truncate', ['-s', '1536M', IMG]);
    must('mkfs.ext4', ['-q', '-F', '-E', 'lazy_itable_init=1,lazy_journal_init=1', IMG]);
    mkdirSync(HOME, { mode: 0o700 });
    must('mount', ['-o', 'loop', IMG, HOME]);
    writeFileSync(SWAPS, SWAP_HEADER);
    process.env.BULKHEAD_PROC_SWAPS = SWAPS;
    d = await coreDaemon('residue', { home: HOME });
    d.ok([
      'create',
      'dvm',
      '--template',
      'debian-12',
      '--label',
      'red',
      '--prop',
      'template_for_dispvms=true',
      '--prop',
      'private_size=64M',
      '--prop',
      'volatile_size=128M',
    ]);
    d.ok([
      'create',
      'dvm-disk',
      '--template',
      'debian-12',
      '--label',
      'red',
      '--prop',
      'template_for_dispvms=true',
      '--prop',
      'private_size=64M',
      '--prop',
      'amnesic=false',
    ]);
  });

  after(async () => {
    try {
      if (d) {
        for (const n of ['ndisp', 'work']) d.cli(['kill', n]);
        await d.destroy().catch(() => undefined);
      }
    } finally {
      sh('umount', [HOME]);
      if (sh('mountpoint', ['-q', HOME]).status === 0) sh('umount', ['-l', HOME]);
      rmSync(HOME, { recursive: true, force: true });
      rmSync(IMG, { force: true });
      rmSync(SWAPS, { force: true });
      rmSync(OUT, { recursive: true, force: true });
      delete process.env.BULKHEAD_PROC_SWAPS;
    }
  });

  it('an amnesic disposable leaves no canary on the raw image, while a deleted control file is found there', () => {
    const { code, report } = residue('dvm');
    process.stderr.write(
      `# residue ${report.seconds.toFixed(1)} s: ${report.scans.map((s) => `${s.place} ${s.files} files ${s.bytes} bytes ${s.seconds.toFixed(1)} s`).join('; ')}\n`,
    );
    assert.equal(report.disposable.amnesic, true);
    assert.ok(
      report.writes.every((w) => w.ok),
      `every write in the disposable worked: ${JSON.stringify(report.writes)}`,
    );
    assert.ok(report.writes.some((w) => /clipboard/.test(w.place)) && report.writes.some((w) => /file copy/.test(w.place)));
    const dev = report.scans.find((s) => s.place === 'device');
    assert.ok(dev?.scanned, `the raw device was scanned: ${JSON.stringify(dev)}`);
    assert.match(dev.root, /^\/dev\/loop\d+$/);
    assert.ok(dev.bytes >= 1536 * MIB - 4096, 'the whole image was read');
    assert.ok(dev.counts.control > 0, 'the deleted control file is found: the scan sees deleted data');
    assert.equal(report.controlFound, true);
    assert.deepEqual(
      report.scans.map((s) => [s.place, s.counts.disposable]),
      report.scans.map((s) => [s.place, 0]),
      JSON.stringify(report.scans.map((s) => s.hits)),
    );
    assert.equal(report.found, false);
    assert.equal(code, 0);
    assert.ok(report.scans.find((s) => s.place === 'state')!.files >= 3, 'the state directory files were scanned (database, WAL, log)');
  });

  it('a disposable with amnesic=false leaves its canary on the raw image, and the report says where', () => {
    const { code, report } = residue('dvm-disk');
    assert.equal(report.disposable.amnesic, false);
    const dev = report.scans.find((s) => s.place === 'device')!;
    assert.ok(dev.counts.disposable > 0, `canary on the device: ${JSON.stringify(dev.counts)}`);
    assert.ok(dev.hits.some((h) => h.canary === 'disposable' && h.device === dev.root && Number.isInteger(h.offset)));
    assert.equal(report.found, true);
    assert.equal(code, 1);
    const text = d.cli(['forensics', 'residue', '--template', 'dvm-disk', '--only', 'device']);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /RESIDUE: .*amnesic=false/);
    assert.match(text.stdout, /disposable canary at \/dev\/loop\d+ offset \d+/);
  });

  it("audit level minimal: a disposable's command line and RPC arguments are nowhere in the state directory; name, times and template are", async () => {
    const token = `CMDLINE-${Date.now()}-secret`;
    let t = Date.now();
    const lap = (what: string) => {
      process.stderr.write(`# ${what}: ${Date.now() - t} ms\n`);
      t = Date.now();
    };
    const r = d.cli(['run', '--dispvm', 'dvm', '--', 'sh', '-c', `echo ${token} >/dev/null; echo ran`]);
    assert.equal(r.code, 0, r.stderr);
    lap('run --dispvm');
    spawnSync('sync', ['-f', HOME]);
    lap('sync');
    const scan = await scanTree(HOME, [Buffer.from(token)], { exclude: new Set([join(HOME, 'qubes', 'debian-12', 'rootfs')]) });
    lap(`scan ${scan.files} files ${scan.bytes} bytes`);
    assert.equal(scan.counts[0], 0, `command line found in ${JSON.stringify(scan.hits)}`);
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(HOME, 'state.db'), { readonly: true });
    const rows = db.prepare("SELECT event, qube, detail FROM audit WHERE qube LIKE 'disp%' ORDER BY seq").all() as {
      event: string;
      qube: string;
      detail: string;
    }[];
    db.close();
    const exec = rows.filter((x) => x.event === 'qube-exec');
    assert.ok(exec.length > 0);
    for (const x of exec) assert.deepEqual(JSON.parse(x.detail), { disposable: true, audit: 'minimal' });
    const created = rows.find((x) => x.event === 'qube-created');
    assert.deepEqual(JSON.parse(created!.detail), { klass: 'disposable', props: { template: 'dvm', netvm: null }, audit: 'minimal' });
    assert.ok(rows.some((x) => x.event === 'qube-started') && rows.some((x) => x.event === 'qube-removed'));
    // audit_level=full keeps the command line (documented opt-in).
    d.ok(['prefs', 'dvm-disk', 'audit_level', 'full']);
    const r2 = d.cli(['run', '--dispvm', 'dvm-disk', '--', 'echo', token]);
    assert.equal(r2.code, 0, r2.stderr);
    spawnSync('sync', ['-f', HOME]);
    assert.ok(
      (await scanTree(HOME, [Buffer.from(token)], { exclude: new Set([join(HOME, 'qubes', 'debian-12', 'rootfs')]) })).counts[0]! > 0,
      'with audit_level=full the command line is kept',
    );
    assert.notEqual(d.cli(['prefs', 'dvm', 'audit_level', 'everything']).code, 0);
  });

  it('unencrypted swap refuses amnesic disposables (non-amnesic ones still start); no swap allows them', () => {
    writeFileSync(SWAPS, `${SWAP_HEADER}/dev/${RUN}-noswap partition\t1048572\t0\t-2\n`);
    try {
      const r = d.cli(['run', '--dispvm', 'dvm', '--', 'true']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /swap is active and not encrypted: .*not on dm-crypt/);
      assert.equal(d.cli(['run', '--dispvm', 'dvm-disk', '--', 'true']).code, 0);
    } finally {
      writeFileSync(SWAPS, SWAP_HEADER);
    }
    assert.equal(d.cli(['run', '--dispvm', 'dvm', '--', 'true']).code, 0);
  });

  it("a disposable's tmpfs pages are charged to its own memory cgroup", () => {
    d.ok(['create', 'ndisp', '--class', 'disposable', '--template', 'dvm', '--label', 'red']);
    d.ok(['start', 'ndisp']);
    const st = crunState(`${d.prefix}-ndisp`);
    const cg = memoryCgroupOf(st!.pid)!;
    const before = memoryCharged(cg);
    const w = d.cli([
      'run',
      'ndisp',
      '--',
      'sh',
      '-c',
      'dd if=/dev/urandom of=/home/user/fill bs=1M count=48 2>/dev/null; df --output=fstype /home/user | tail -1',
    ]);
    assert.equal(w.stdout.trim(), 'tmpfs');
    const grew = memoryCharged(cg) - before;
    process.stderr.write(`# 48 MiB written to the tmpfs: memory charge +${(grew / MIB).toFixed(1)} MiB\n`);
    assert.ok(grew >= 44 * MIB, `48 MiB written to the tmpfs raised the qube's memory charge by ${(grew / MIB).toFixed(1)} MiB`);
    d.ok(['kill', 'ndisp']);
  });

  it('acquires a running qube frozen (thawed after) and a halted one: raw ext4 that fls/icat read, root changes, processes and memory, manifest', () => {
    d.ok(['create', 'work', '--template', 'debian-12', '--label', 'green', '--prop', 'private_size=32M']);
    d.ok(['start', 'work']);
    d.ok(['run', 'work', '--', 'sh', '-c', 'echo EVIDENCE-42 > /home/user/evidence.txt; sync']);
    d.ok(['run', '--user', 'root', 'work', '--', 'sh', '-c', 'echo changed > /etc/changed-by-qube']);
    const out = `${OUT}-running`;
    const m = JSON.parse(d.ok(['forensics', 'acquire', 'work', '--out', out, '--json'], undefined, 300_000)) as AcquireManifest;
    try {
      assert.equal(m.qube.state, 'running');
      assert.ok(m.frozenAt && m.thawedAt && m.thawedAt >= m.frozenAt);
      assert.equal(crunState(`${d.prefix}-work`)?.status, 'running', 'thawed after acquisition');
      assert.equal(spawnSync('sha256sum', ['--quiet', '-c', 'manifest.sha256'], { cwd: out }).status, 0, 'every artefact matches its SHA-256');
      const fls = must('fls', ['-r', '-p', join(out, 'private.img')]);
      const line = fls.split('\n').find((l) => l.endsWith('home/user/evidence.txt'));
      assert.ok(line, fls);
      const inode = /(\d+)(-\d+-\d+)?:/.exec(line)![1]!;
      assert.equal(must('icat', [join(out, 'private.img'), inode]), 'EVIDENCE-42\n');
      assert.match(must('tar', ['-tf', join(out, 'root-changes.tar')]), /etc\/changed-by-qube/);
      assert.ok(
        m.processes!.some((p) => p.cmdline[0] === '/run/bulkhead/init'),
        "the process list holds the qube's init",
      );
      const init = m.processes!.find((p) => p.cmdline[0] === '/run/bulkhead/init')!;
      assert.ok(init.memory && init.memory.bytes > 0, `init's memory was dumped: ${JSON.stringify(init.memory)}`);
      assert.ok(readFileSync(join(out, 'memory', `${init.pid}.maps`), 'utf8').includes('[stack]'));
      assert.equal(m.tool.name, 'bulkhead');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    d.ok(['shutdown', 'work']);
    const out2 = `${OUT}-halted`;
    try {
      const h = JSON.parse(d.ok(['forensics', 'acquire', 'work', '--out', out2, '--json'])) as AcquireManifest;
      assert.equal(h.qube.state, 'halted');
      assert.equal(h.frozenAt, null);
      assert.equal(h.processes, undefined);
      assert.match(must('fls', ['-r', '-p', join(out2, 'private.img')]), /home\/user\/evidence\.txt/);
      assert.ok(h.notes.some((n) => /discarded at stop/.test(n)));
      const again = d.cli(['forensics', 'acquire', 'work', '--out', out2]);
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, /exists; acquisition writes only into a new directory/);
    } finally {
      rmSync(out2, { recursive: true, force: true });
    }
  });
});
