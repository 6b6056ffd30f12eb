// A qube that gets a removed qube's address (qids are reused) inherits none of its tracked flows in the netvm.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { forceRemoveNetns, netDaemon, nsAddress, type NetDaemon } from './net-fixture.js';

const WEB = '192.0.2.10';

/** Flows of the netvm's table whose original tuple has `addr` as source or destination, as conntrack prints them. */
function flowsOf(netns: string, addr: string): string[] {
  const out: string[] = [];
  for (const side of ['-s', '-d']) {
    const r = spawnSync('ip', ['netns', 'exec', netns, 'conntrack', '-L', '-f', 'ipv4', side, addr], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0 && !/0 flow entries/.test(r.stderr)) throw new Error(`conntrack -L ${side} ${addr} in ${netns}: ${r.stderr}`);
    out.push(...r.stdout.split('\n').filter((l) => l.trim().length > 0));
  }
  return out;
}

/** A tracked flow made by hand, as one the old owner left: established, assured, 10 minutes to live. */
function insertFlow(netns: string, src: string, dst: string, sport: number, dport: number): void {
  const r = spawnSync(
    'ip',
    [
      'netns',
      'exec',
      netns,
      'conntrack',
      '-I',
      '-p',
      'tcp',
      '-s',
      src,
      '-d',
      dst,
      '--sport',
      String(sport),
      '--dport',
      String(dport),
      '--state',
      'ESTABLISHED',
      '-u',
      'ASSURED',
      '-t',
      '600',
    ],
    { encoding: 'utf8', timeout: 10_000 },
  );
  if (r.status !== 0) throw new Error(`conntrack -I in ${netns}: ${r.stderr}`);
}

describe('conntrack: a reused address starts with no flow', { timeout: 900_000 }, () => {
  let d: NetDaemon;
  let prefix = '';

  before(async () => {
    d = await netDaemon('conntrack');
    prefix = d.prefix;
  });
  after(async () => {
    await d?.teardown();
    if (prefix) forceRemoveNetns(prefix);
  });

  it('removing a qube and creating one with its qid leaves no entry of that address in sys-firewall', () => {
    const fw = d.ns('sys-firewall');
    d.ok(['create', 'old', '--template', 'debian-12', '--label', 'red']);
    d.ok(['start', 'old']);
    const addr = nsAddress(d.ns('old'), 'eth0');
    assert.ok(addr?.startsWith('10.137.'), `old's address ${addr}`);
    // A real flow through sys-firewall (the lab's web host), and two made by hand, one in each direction.
    const page = d.run('old', ['curl', '-sS', '--max-time', '10', `http://${WEB}/`]);
    assert.equal(page.code, 0, page.stderr);
    insertFlow(fw, addr, WEB, 41001, 80);
    insertFlow(fw, WEB, addr, 41002, 22);
    d.ok(['kill', 'old']);
    d.ok(['remove', 'old']);
    // The premise: the old owner's flows are still tracked after its removal.
    const stale = flowsOf(fw, addr);
    assert.ok(
      stale.some((l) => l.includes('dport=41001') || l.includes('sport=41001')),
      `hand-made flow out:\n${stale.join('\n')}`,
    );
    assert.ok(
      stale.some((l) => l.includes('sport=41002')),
      `hand-made flow in:\n${stale.join('\n')}`,
    );
    assert.ok(
      stale.some((l) => /dport=80 /.test(l) && l.includes(`dst=${WEB}`) && !l.includes('sport=41001')),
      `the curl flow:\n${stale.join('\n')}`,
    );

    d.ok(['create', 'new', '--template', 'debian-12', '--label', 'green']);
    d.ok(['start', 'new']);
    assert.equal(nsAddress(d.ns('new'), 'eth0'), addr, 'the new qube reuses the address');
    assert.deepEqual(flowsOf(fw, addr), [], 'no flow of the old owner is left');
    // And the new qube's own traffic is tracked as new flows.
    const again = d.run('new', ['curl', '-sS', '--max-time', '10', `http://${WEB}/`]);
    assert.equal(again.code, 0, again.stderr);
  });
});
