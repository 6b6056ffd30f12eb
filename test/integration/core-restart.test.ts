// Acceptance: the daemon survives its own restart — running qubes are found again and not started twice; a qube that died while the daemon was away is halted and cleaned.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cgroupDirsWith, coreDaemon, crunList, crunState, lsJson, mountsWith, type CoreDaemon } from './core-fixture.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitGone(pid: number, ms: number): Promise<boolean> {
  for (let t = 0; t < ms; t += 20) {
    if (!alive(pid)) return true;
    await sleep(20);
  }
  return !alive(pid);
}

describe('core daemon restart', { timeout: 300_000 }, () => {
  let d: CoreDaemon;
  const state = (name: string) => lsJson(d).find((q) => q.name === name)?.state;
  const starts = async (name: string) =>
    (await d.api<{ entries: { event: string }[] }>('GET', `/audit?qube=${name}&limit=100000`)).body.entries.filter((e) => e.event === 'qube-started').length;

  before(async () => {
    d = await coreDaemon('restart');
    d.ok(['create', 'one', '--template', 'debian-12', '--label', 'blue']);
    d.ok(['create', 'two', '--template', 'debian-12', '--label', 'green']);
    d.ok(['start', 'one', 'two']);
    d.ok(['run', 'one', '--', 'sh', '-c', 'echo kept-one > /home/user/data']);
  });

  after(async () => {
    await d?.destroy();
  });

  it('daemon stop and start: qubes keep running, same init, nothing started twice', async () => {
    const before = { one: crunState(`${d.prefix}-one`), two: crunState(`${d.prefix}-two`) };
    assert.equal(before.one?.status, 'running');
    assert.equal(before.two?.status, 'running');
    const startsBefore = { one: await starts('one'), two: await starts('two') };
    assert.deepEqual(startsBefore, { one: 1, two: 1 });
    const pid1 = d.daemonPid();
    d.ok(['daemon', 'stop']);
    assert.ok(pid1 && (await waitGone(pid1, 5000)), 'old daemon exited');
    // While the daemon is away the qubes run on.
    assert.equal(crunState(`${d.prefix}-one`)?.pid, before.one?.pid);
    d.ok(['daemon', 'start']);
    assert.notEqual(d.daemonPid(), pid1);
    assert.equal(state('one'), 'running');
    assert.equal(state('two'), 'running');
    assert.equal(crunState(`${d.prefix}-one`)?.pid, before.one?.pid, 'init of one unchanged');
    assert.equal(crunState(`${d.prefix}-two`)?.pid, before.two?.pid, 'init of two unchanged');
    assert.deepEqual(
      crunList(`${d.prefix}-`)
        .map((e) => e.id)
        .sort(),
      [`${d.prefix}-one`, `${d.prefix}-two`],
    );
    assert.deepEqual({ one: await starts('one'), two: await starts('two') }, startsBefore, 'a qube-started event after restart');
    assert.equal(d.ok(['run', 'one', '--', 'cat', '/home/user/data']).trim(), 'kept-one');
    assert.equal(d.ok(['run', 'two', '--', 'hostname']).trim(), 'two');
    // `start` of a running qube does not start a second instance.
    d.cli(['start', 'one']);
    assert.equal(crunList(`${d.prefix}-one`).length, 1);
    assert.equal(crunState(`${d.prefix}-one`)?.pid, before.one?.pid);
    // The audit chain is intact across the restart.
    const v = await d.api<{ ok: boolean }>('GET', '/audit/verify');
    assert.equal(v.body.ok, true, JSON.stringify(v.body));
  });

  it('kill -9 of the daemon, then a qube dies while it is away: restart shows it halted and cleans its leftovers', async () => {
    const dpid = d.daemonPid();
    assert.ok(dpid && alive(dpid));
    const one = crunState(`${d.prefix}-one`);
    const two = crunState(`${d.prefix}-two`);
    assert.ok(one && two);
    const runDir = join(d.home, 'run', 'qubes', 'one');
    assert.ok(existsSync(runDir), 'positive control: run dir exists while one runs');
    assert.ok(mountsWith(`${runDir}/`).length > 0, 'positive control: mounts exist while one runs');
    assert.ok(cgroupDirsWith(`${d.prefix}-one`).length > 0, 'positive control: cgroups exist while one runs');
    process.kill(dpid, 'SIGKILL');
    assert.ok(await waitGone(dpid, 5000), 'daemon killed');
    // Kill one's init (a process this test's daemon started) from the host.
    process.kill(one.pid, 'SIGKILL');
    assert.ok(await waitGone(one.pid, 5000), 'init of one killed');
    d.ok(['daemon', 'start']);
    assert.equal(state('one'), 'halted');
    assert.equal(state('two'), 'running');
    assert.equal(crunState(`${d.prefix}-two`)?.pid, two.pid, 'two untouched');
    const leftovers = {
      crun: crunList(`${d.prefix}-one`).map((e) => e.id),
      runDir: existsSync(runDir),
      mounts: mountsWith(`${runDir}/`).concat(mountsWith(join(d.home, 'qubes', 'one') + '/')),
      cgroups: cgroupDirsWith(`${d.prefix}-one`),
    };
    assert.deepEqual(leftovers, { crun: [], runDir: false, mounts: [], cgroups: [] });
    const audit = (await d.api<{ entries: { event: string; detail: string }[] }>('GET', '/audit?qube=one&limit=100000')).body.entries;
    assert.equal(audit.at(-1)?.event, 'qube-stopped', 'the stop is recorded');
    // one starts again, with its data; the private volume survived.
    d.ok(['start', 'one']);
    assert.equal(d.ok(['run', 'one', '--', 'cat', '/home/user/data']).trim(), 'kept-one');
    assert.equal(await starts('one'), 2);
    assert.equal(await starts('two'), 1);
  });
});
