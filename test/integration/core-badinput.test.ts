// Acceptance: bad input to the CLI and daemon — each refused with a one-line error naming the field or value, exit code non-zero, state unchanged.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT } from './helpers/daemon.js';
import { coreDaemon, lsJson, type CoreDaemon } from './core-fixture.js';

interface Case {
  args: string[];
  message: RegExp;
}

describe('core bad input', { timeout: 300_000 }, () => {
  let d: CoreDaemon;

  /** Everything a refused request must leave as it was. */
  async function snapshot() {
    const ls = lsJson(d);
    const prefs: Record<string, unknown> = {};
    for (const q of ls) prefs[q.name] = (await d.api('GET', `/qubes/${q.name}/prefs`)).body;
    const globals = (await d.api('GET', '/globals')).body;
    const audit = (await d.api<{ entries: unknown[] }>('GET', '/audit?limit=100000')).body.entries.length;
    const volumes = readdirSync(join(d.home, 'qubes')).sort();
    return { ls, prefs, globals, audit, volumes };
  }

  before(async () => {
    d = await coreDaemon('bad');
    d.ok(['create', 'held', '--template', 'debian-12', '--label', 'blue']);
    d.ok(['create', 'runner', '--template', 'debian-12', '--label', 'green']);
    d.ok(['start', 'held', 'runner']);
    // held gets data in its private volume, then stops; runner stays running.
    d.ok(['run', 'held', '--', 'sh', '-c', 'echo precious > /home/user/data']);
    d.ok(['shutdown', '--wait', 'held']);
  });

  after(async () => {
    await d?.destroy();
  });

  const cases: Record<string, Case> = {
    'name starting with a digit': { args: ['create', '1abc', '--template', 'debian-12', '--label', 'red'], message: /name: '1abc'/ },
    'name with a space': { args: ['create', 'a b', '--template', 'debian-12', '--label', 'red'], message: /name: 'a b'/ },
    'name of 32 characters': {
      args: ['create', 'a'.repeat(32), '--template', 'debian-12', '--label', 'red'],
      message: new RegExp(`name: '${'a'.repeat(32)}'.*31`),
    },
    'reserved name dom0': { args: ['create', 'dom0', '--template', 'debian-12', '--label', 'red'], message: /name: 'dom0'.*reserved/ },
    'existing name': { args: ['create', 'held', '--template', 'debian-12', '--label', 'red'], message: /'held' already exists/ },
    'unknown class': { args: ['create', 'x1', '--class', 'weird', '--template', 'debian-12', '--label', 'red'], message: /class: 'weird'/ },
    'unknown label': { args: ['create', 'x2', '--template', 'debian-12', '--label', 'pink'], message: /label: 'pink'/ },
    'unknown template': { args: ['create', 'x3', '--template', 'nosuch', '--label', 'red'], message: /template: .*'nosuch'/ },
    'unknown property at create': { args: ['create', 'x4', '--template', 'debian-12', '--label', 'red', '--prop', 'colour=red'], message: /property 'colour'/ },
    'wrong type at create': { args: ['create', 'x5', '--template', 'debian-12', '--label', 'red', '--prop', 'memory=abc'], message: /memory: 'abc'/ },
    'unknown property set': { args: ['prefs', 'held', 'colour', 'red'], message: /property 'colour'/ },
    'unknown property read': { args: ['prefs', 'held', 'colour'], message: /property 'colour'/ },
    'integer property given text': { args: ['prefs', 'held', 'memory', 'abc'], message: /memory: 'abc'/ },
    'boolean property given maybe': { args: ['prefs', 'held', 'autostart', 'maybe'], message: /autostart: 'maybe'/ },
    'maxmem below memory': { args: ['prefs', 'held', 'maxmem', '1'], message: /maxmem/ },
    'unknown label set': { args: ['prefs', 'held', 'label', 'pink'], message: /label: 'pink'/ },
    'netvm that provides no network': { args: ['prefs', 'held', 'netvm', 'debian-12'], message: /netvm: 'debian-12'.*provide/ },
    'netvm that does not exist': { args: ['prefs', 'held', 'netvm', 'nosuch'], message: /netvm: .*'nosuch'/ },
    'property of an unknown qube': { args: ['prefs', 'nosuch', 'memory', '400'], message: /'nosuch'/ },
    'start an unknown qube': { args: ['start', 'nosuch'], message: /no qube named 'nosuch'/ },
    'remove a running qube': { args: ['remove', 'runner'], message: /'runner' is running/ },
    'remove a running qube with --force': { args: ['remove', '--force', 'runner'], message: /'runner' is running/ },
    'remove a template in use': { args: ['remove', '--force', 'debian-12'], message: /'debian-12' is in use by .*(held|runner)/ },
    'remove a qube with data without --force': { args: ['remove', 'held'], message: /'held' holds data.*--force/ },
    'memory change of a running qube': { args: ['prefs', 'runner', 'memory', '300'], message: /memory: .*'runner'/ },
    'second daemon start': { args: ['daemon', 'start'], message: /already runs/ },
  };

  for (const [title, c] of Object.entries(cases)) {
    it(`${title}: ${c.args.join(' ')}`, async () => {
      const before = await snapshot();
      const r = d.cli(c.args);
      assert.notEqual(r.code, 0, `exit 0 for ${c.args.join(' ')}: ${r.stdout}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one-line error expected, got:\n${r.stderr}`);
      assert.match(lines[0]!, /^bulkhead: /);
      assert.match(lines[0]!, c.message);
      assert.equal(r.stdout, '', 'nothing on stdout');
      assert.deepEqual(await snapshot(), before, 'state changed');
    });
  }

  it('a second bulkheadd started directly on the same state directory exits and the first keeps serving', async () => {
    const v1 = (await d.api<{ pid: number }>('GET', '/version')).body.pid;
    const before = await snapshot();
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'daemon', 'main.js')], { env: d.env, encoding: 'utf8', timeout: 30_000 });
    assert.notEqual(r.status, 0, r.stdout);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /already runs/);
    const v2 = (await d.api<{ pid: number }>('GET', '/version')).body.pid;
    assert.equal(v2, v1);
    assert.equal(d.daemonPid(), v1);
    assert.deepEqual(await snapshot(), before);
  });

  it('held still has its data and runner still runs (nothing was removed)', () => {
    assert.equal(d.ok(['run', 'held', '--', 'cat', '/home/user/data']).trim(), 'precious');
    assert.equal(lsJson(d).find((q) => q.name === 'runner')?.state, 'running');
  });
});
