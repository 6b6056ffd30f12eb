// Qubes' own policy files load unchanged and decide as Qubes does; bulkhead's default files decide the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadPolicyDirs } from '../policy-files/index.js';
import { evaluate, parsePolicyText } from './index.js';
import type { Decision, Policy, SystemQube, SystemSnapshot } from './index.js';

import { QUBES_POLICY as FIXTURES, QUBES_POLICY_SKIP } from '../../test/support/qubes-fixtures.js';

const needs = { skip: QUBES_POLICY_SKIP };
const DEFAULTS = new URL('../../policy/default', import.meta.url).pathname;

const q = (over: Partial<SystemQube>): SystemQube => ({
  class: 'app',
  tags: [],
  running: false,
  default_dispvm: 'default-dvm',
  template_for_dispvms: false,
  internal: false,
  uuid: null,
  ...over,
});
const SYS: SystemSnapshot = {
  qubes: {
    work: q({ running: true }),
    personal: q({}),
    vault: q({ default_dispvm: null }),
    'default-dvm': q({ template_for_dispvms: true }),
    'sys-net': q({ running: true }),
    'sys-firewall': q({ running: true }),
    'sys-whonix': q({ tags: ['anon-gateway'], running: true, default_dispvm: 'whonix-dvm' }),
    'anon-whonix': q({ tags: ['anon-vm'], running: true, default_dispvm: 'whonix-dvm' }),
    'anon-halted': q({ tags: ['anon-vm'], default_dispvm: 'whonix-dvm' }),
    'whonix-dvm': q({ tags: ['anon-vm'], template_for_dispvms: true, default_dispvm: 'whonix-dvm' }),
    'debian-12': q({ class: 'template' }),
    'whonix-ws-17': q({ class: 'template', tags: ['whonix-updatevm'] }),
    disp42: q({ class: 'disposable', running: true }),
  },
};

function load(dir: string): Policy {
  const l = loadPolicyDirs([dir]);
  assert.ok(l.ok, l.ok ? '' : l.errors.map((e) => `${e.file}:${e.line}: ${e.message}`).join('\n'));
  assert.deepEqual(l.warnings, []);
  return l.policy;
}

function decide(p: Policy, source: string, target: string, call: string): Decision {
  const plus = call.indexOf('+');
  const [service, argument] = plus < 0 ? [call, '+'] : [call.slice(0, plus), call.slice(plus)];
  return evaluate(p, SYS, { source, target, service, argument });
}

test('Qubes default and Whonix policy files load unchanged and lint clean', needs, () => {
  const raw = readFileSync(`${FIXTURES}/90-default.policy`, 'utf8');
  assert.match(raw, /\t/, 'the fixture keeps its tabs');
  const p = load(FIXTURES);
  assert.equal(p.rules.filter((r) => r.file.endsWith('80-whonix.policy')).length, 9);
  assert.ok(p.rules.length > 30);
});

// [source, target, call, result, target or rule file:line]
const QUBES_DECISIONS: Array<[string, string, string, string, string | null]> = [
  ['work', 'personal', 'qubes.Filecopy', 'ask', '90-default.policy:31'],
  ['work', '@default', 'qubes.Filecopy', 'ask', '90-default.policy:31'],
  ['anon-whonix', '@default', 'qubes.GetDate', 'deny', '90-default.policy:34'],
  ['anon-whonix', 'dom0', 'qubes.GetDate', 'deny', null],
  ['work', '@default', 'qubes.GetDate', 'allow', 'dom0'],
  ['work', '@dispvm', 'qubes.OpenInVM', 'allow', '@dispvm:default-dvm'],
  ['anon-whonix', '@dispvm', 'qubes.OpenInVM', 'allow', '@dispvm:whonix-dvm'],
  ['vault', '@dispvm', 'qubes.OpenInVM', 'deny', '90-default.policy:48'],
  ['work', 'personal', 'qubes.OpenInVM', 'ask', '90-default.policy:49'],
  ['work', '@dispvm', 'qubes.OpenURL', 'allow', '@dispvm:default-dvm'],
  ['work', 'personal', 'qubes.OpenURL', 'ask', '90-default.policy:53'],
  ['work', 'personal', 'qubes.ConnectTCP+22', 'deny', '90-default.policy:22'],
  ['work', 'dom0', 'qubes.FeaturesRequest', 'allow', 'dom0'],
  ['work', '@default', 'qubes.Notifications', 'allow', 'dom0'],
  ['debian-12', '@default', 'qubes.UpdatesProxy', 'allow', 'sys-net'],
  ['whonix-ws-17', '@default', 'qubes.UpdatesProxy', 'allow', 'sys-whonix'],
  ['whonix-ws-17', 'sys-net', 'qubes.UpdatesProxy', 'deny', '90-default.policy:76'],
  ['work', '@default', 'qubes.UpdatesProxy', 'deny', '90-default.policy:79'],
  ['work', 'personal', 'qubes.VMShell', 'deny', '90-default.policy:82'],
  ['work', '@dispvm', 'qubes.VMShell', 'allow', '@dispvm:default-dvm'],
  ['work', 'personal', 'qubes.VMRootShell', 'deny', '90-default.policy:84'],
  ['sys-whonix', 'anon-whonix', 'whonix.SdwdateStatus+', 'allow', 'anon-whonix'],
  ['sys-whonix', 'anon-halted', 'whonix.SdwdateStatus+', 'deny', '80-whonix.policy:3'],
  ['sys-whonix', '@default', 'whonix.SdwdateStatus+', 'deny', '80-whonix.policy:4'],
  ['anon-whonix', 'sys-whonix', 'whonix.NewStatus+x', 'allow', 'sys-whonix'],
  ['sys-whonix', 'anon-whonix', 'whonix.GatewayCommand+restart', 'allow', 'anon-whonix'],
  ['sys-whonix', 'anon-whonix', 'whonix.GatewayCommand+reboot', 'deny', '80-whonix.policy:13'],
  ['work', 'personal', 'no.Such', 'deny', null],
];
for (const [source, target, call, result, expect] of QUBES_DECISIONS) {
  test(`Qubes files: ${source} -> ${target} ${call} = ${result}`, needs, () => {
    const d = decide(load(FIXTURES), source, target, call);
    assert.equal(d.result, result, d.reason);
    if (result === 'allow') assert.equal(d.target, expect);
    else if (expect === null) assert.equal(d.rule, null);
    else assert.ok(d.rule?.endsWith(`/${expect}`), `${d.rule} should be ${expect}`);
  });
}

test('Filecopy ask offers the other qubes and the default disposable, never the source or dom0', needs, () => {
  const d = decide(load(FIXTURES), 'work', 'personal', 'qubes.Filecopy');
  assert.ok(d.candidates.includes('personal') && d.candidates.includes('@dispvm:default-dvm'));
  assert.ok(!d.candidates.includes('work') && !d.candidates.includes('dom0'));
});

test('bulkhead default policy files lint clean', () => {
  load(DEFAULTS);
});

test('bulkhead default policy files are not a copy of Qubes text', needs, () => {
  const ours = readFileSync(`${DEFAULTS}/90-default.policy`, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('#'));
  const theirs = new Set(
    readFileSync(`${FIXTURES}/90-default.policy`, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('#') && l.length > 3),
  );
  assert.equal(ours.filter((l) => theirs.has(l)).length, 0);
});

test('bulkhead default policy decides exactly as the Qubes files, over every service, source and target', needs, () => {
  const qubes = load(FIXTURES);
  const ours = load(DEFAULTS);
  const calls = new Set<string>(['no.Such', 'qubes.ConnectTCP+22', 'whonix.GatewayCommand+reboot', 'whonix.SdwdateStatus+x']);
  for (const r of qubes.rules) calls.add(r.service! + (r.argument ?? '+anything'));
  const names = [...Object.keys(SYS.qubes), 'dom0'];
  const targets = [...names, '@default', '@dispvm', '@dispvm:default-dvm', '@dispvm:whonix-dvm', '@adminvm', 'ghost', '@anyvm'];
  let n = 0;
  for (const call of calls)
    for (const s of names)
      for (const t of targets) {
        const a = decide(qubes, s, t, call);
        const b = decide(ours, s, t, call);
        const strip = (d: Decision) => ({ ...d, rule: d.rule !== null, reason: '' });
        assert.deepEqual(strip(b), strip(a), `${s} -> ${t} ${call}`);
        n++;
      }
  assert.ok(n > 5000, `${n} requests compared`);
});

test('a policy text that fails to load never allows', () => {
  const text = readFileSync(`${DEFAULTS}/90-default.policy`, 'utf8') + '\nqubes.Filecopy * @anyvm @anyvm allow bogus\n';
  const l = parsePolicyText(text, 'x.policy');
  assert.equal(l.ok, false);
  assert.equal(evaluate(l, SYS, { source: 'work', target: '@default', service: 'qubes.GetDate', argument: '+' }).result, 'deny');
});
