// Table tests of the evaluator: matching, redirects, @dispvm, autostart, loopback, requested targets, ask candidates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, parsePolicyText } from './index.js';
import type { Decision, Policy, SystemQube, SystemSnapshot } from './index.js';

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

export const SYS: SystemSnapshot = {
  qubes: {
    dom0: q({ class: 'admin', tags: ['dom0-tag'], running: true, uuid: '00000000-0000-0000-0000-000000000000' }),
    vm1: q({ tags: ['tag1', 'tag2'], running: true, uuid: 'c9024a97-9b15-46cc-8341-38d75d5d421b' }),
    vm2: q({ tags: ['tag2'], running: true, uuid: 'b3eb69d0-f9d9-4c3c-ad5c-454500303ea4' }),
    vm3: q({ tags: ['tag3'], template_for_dispvms: true, uuid: 'fa6d56e8-a89d-4106-aa62-22e172a43c8b' }),
    vm4: q({ template_for_dispvms: true }),
    'default-dvm': q({ template_for_dispvms: true, uuid: 'f3e538bd-4427-4697-bed7-45ef3270df21' }),
    'mgmt-dvm': q({ internal: true, template_for_dispvms: true }),
    'internal-vm': q({ internal: true }),
    'bad-dvm': q({ tags: ['tag1', 'tag2'], default_dispvm: 'vm1' }),
    'no-dvm': q({ tags: ['tag1', 'tag2'], default_dispvm: null, uuid: '53a450b9-a454-4416-8adb-46812257ad29' }),
    tpl: q({ class: 'template', tags: ['tag1', 'tag2'] }),
    standalone: q({ class: 'standalone', tags: ['tag1', 'tag2'], uuid: '6d7a02b5-532b-467f-b9fb-6596bae03c33' }),
    disp1: q({ class: 'disposable', running: true }),
  },
};

function policy(text: string): Policy {
  const load = parsePolicyText(
    text
      .split('\n')
      .map((l) => l.trim())
      .join('\n'),
    'p',
  );
  assert.ok(load.ok, load.ok ? '' : JSON.stringify(load.errors));
  return load.policy;
}
function ev(text: string, source: string, target: string, service = 'test.Service', argument = '+argument'): Decision {
  return evaluate(policy(text), SYS, { source, target, service, argument });
}

// [policy, source, requested target, expected result, expected target or rule line]
const DECISIONS: Array<[string, string, string, 'allow' | 'deny' | 'ask', string | null]> = [
  ['* * vm1 vm2 allow', 'vm1', 'vm2', 'allow', 'vm2'],
  ['* * vm1 vm2 allow', 'vm2', 'vm1', 'deny', null],
  ['* * @anyvm @anyvm deny', 'vm1', 'vm2', 'deny', null],
  ['* * @anyvm @anyvm allow', 'vm1', 'vm2', 'allow', 'vm2'],
  ['* * @anyvm @anyvm allow', 'vm1', 'dom0', 'deny', null],
  ['* * @anyvm @anyvm allow', 'vm1', '@adminvm', 'deny', null],
  ['* * @anyvm @anyvm allow', 'dom0', 'vm1', 'deny', null],
  ['* * * * allow', 'vm1', 'dom0', 'allow', 'dom0'],
  ['* * * * allow', 'dom0', 'vm1', 'allow', 'vm1'],
  ['* * @anyvm @adminvm allow', 'vm1', 'dom0', 'allow', 'dom0'],
  ['* * @anyvm @adminvm allow', 'vm1', '@adminvm', 'allow', 'dom0'],
  ['* * @anyvm dom0 allow', 'vm1', '@adminvm', 'allow', 'dom0'],
  ['* * @anyvm uuid:00000000-0000-0000-0000-000000000000 allow', 'vm1', '@adminvm', 'allow', 'dom0'],
  ['* * @anyvm @adminvm allow', 'vm1', 'uuid:00000000-0000-0000-0000-000000000000', 'allow', 'dom0'],
  ['* * @anyvm @tag:dom0-tag allow', 'vm1', 'dom0', 'allow', 'dom0'],
  ['* * @anyvm @tag:dom0-tag allow', 'vm1', '@adminvm', 'deny', null],
  ['* * @anyvm @type:AdminVM allow', 'vm1', 'dom0', 'allow', 'dom0'],
  ['* * @anyvm @type:AdminVM allow', 'vm1', '@adminvm', 'deny', null],
  ['* * @anyvm vm2 allow', 'vm1', 'uuid:b3eb69d0-f9d9-4c3c-ad5c-454500303ea4', 'allow', 'vm2'],
  ['* * @anyvm uuid:b3eb69d0-f9d9-4c3c-ad5c-454500303ea4 allow', 'vm1', 'vm2', 'allow', 'vm2'],
  ['* * uuid:c9024a97-9b15-46cc-8341-38d75d5d421b @anyvm allow', 'vm1', 'vm2', 'allow', 'vm2'],
  ['* * @anyvm @anyvm allow', 'uuid:c9024a97-9b15-46cc-8341-38d75d5d421b', 'vm2', 'allow', 'vm2'],
  ['* * @tag:tag1 @anyvm allow', 'vm1', 'vm2', 'allow', 'vm2'],
  ['* * @tag:tag1 @anyvm allow', 'vm2', 'vm1', 'deny', null],
  ['* * @type:TemplateVM @anyvm allow', 'tpl', 'vm1', 'allow', 'vm1'],
  ['* * @type:TemplateVM @anyvm allow', 'vm1', 'vm2', 'deny', null],
  ['* * @type:StandaloneVM @anyvm allow', 'standalone', 'vm1', 'allow', 'vm1'],
  ['* * @type:DispVM @anyvm allow', 'disp1', 'vm1', 'allow', 'vm1'],
  ['* * @type:AppVM @type:DispVM allow', 'vm1', 'disp1', 'allow', 'disp1'],
  ['test.Service * @anyvm @anyvm allow', 'vm1', 'vm2', 'allow', 'vm2'],
  ['other.Service * @anyvm @anyvm allow', 'vm1', 'vm2', 'deny', null],
  ['test.Service +argument @anyvm @anyvm allow', 'vm1', 'vm2', 'allow', 'vm2'],
  ['test.Service +other @anyvm @anyvm allow', 'vm1', 'vm2', 'deny', null],
  ['test.Service +other @anyvm @anyvm deny\ntest.Service * @anyvm @anyvm allow', 'vm1', 'vm2', 'allow', 'vm2'],
  ['* * vm1 @anyvm deny\n* * @anyvm @anyvm allow', 'vm1', 'vm2', 'deny', null],
  ['* * @anyvm @anyvm allow\n* * vm1 @anyvm deny', 'vm1', 'vm2', 'allow', 'vm2'],
  // unknown target names become @default
  ['* * @anyvm @default allow target=vm2', 'vm1', 'no-such-vm', 'allow', 'vm2'],
  ['* * @anyvm @default allow target=vm2', 'vm1', '', 'allow', 'vm2'],
  ['* * @anyvm @default allow target=vm2', 'vm1', 'uuid:99999999-0000-0000-0000-000000000000', 'allow', 'vm2'],
  ['* * @anyvm @anyvm allow', 'vm1', '@default', 'deny', null],
  ['* * @anyvm @anyvm ask', 'vm1', '@default', 'ask', null],
  // requested targets that are never valid
  ['* * * * allow', 'vm1', '@anyvm', 'deny', null],
  ['* * * * allow', 'vm1', '*', 'deny', null],
  ['* * * * allow', 'vm1', '@tag:tag1', 'deny', null],
  ['* * * * allow', 'vm1', '@type:AppVM', 'deny', null],
  ['* * * * allow', 'vm1', '@dispvm:@tag:tag3', 'deny', null],
  ['* * * * allow', 'vm1', '@dispvm:vm1', 'deny', null],
  ['* * * * allow', 'vm1', '@dispvm:nothere', 'deny', null],
  ['* * * * allow', 'vm1', '@invalid', 'deny', null],
  // redirects apply after the action
  ['* * @anyvm @anyvm allow target=vm2', 'vm3', 'vm1', 'allow', 'vm2'],
  ['* * @anyvm @anyvm allow target=dom0', 'vm3', 'vm1', 'allow', 'dom0'],
  ['* * @anyvm @anyvm allow target=@adminvm', 'vm3', 'vm1', 'allow', 'dom0'],
  ['* * @anyvm @anyvm allow target=uuid:b3eb69d0-f9d9-4c3c-ad5c-454500303ea4', 'vm3', 'vm1', 'allow', 'vm2'],
  ['* * @anyvm @anyvm allow target=no-such-vm', 'vm3', 'vm1', 'deny', null],
  ['* * @anyvm @anyvm allow target=@dispvm', 'vm3', 'vm1', 'allow', '@dispvm:default-dvm'],
  ['* * @anyvm @anyvm allow target=@dispvm', 'no-dvm', 'vm1', 'deny', null],
  ['* * @anyvm @anyvm allow target=@dispvm:vm3', 'vm1', 'vm2', 'allow', '@dispvm:vm3'],
  ['* * @anyvm @anyvm allow target=@dispvm:uuid:fa6d56e8-a89d-4106-aa62-22e172a43c8b', 'vm1', 'vm2', 'allow', '@dispvm:vm3'],
  ['* * @anyvm @anyvm allow target=@dispvm:vm1', 'vm3', 'vm2', 'deny', null],
  // @dispvm
  ['* * @anyvm @dispvm allow', 'vm3', '@dispvm', 'allow', '@dispvm:default-dvm'],
  ['* * @anyvm @dispvm allow', 'no-dvm', '@dispvm', 'deny', null],
  ['* * @anyvm @dispvm allow', 'vm1', '@dispvm:default-dvm', 'deny', null],
  ['* * @anyvm @dispvm:default-dvm allow', 'vm1', '@dispvm', 'allow', '@dispvm:default-dvm'],
  ['* * @anyvm @dispvm:default-dvm allow', 'vm1', '@dispvm:default-dvm', 'allow', '@dispvm:default-dvm'],
  ['* * @anyvm @dispvm:default-dvm allow', 'vm1', '@dispvm:vm3', 'deny', null],
  ['* * @anyvm @dispvm:default-dvm allow', 'no-dvm', '@dispvm', 'deny', null],
  ['* * @anyvm @dispvm:uuid:f3e538bd-4427-4697-bed7-45ef3270df21 allow', 'vm1', '@dispvm:default-dvm', 'allow', '@dispvm:default-dvm'],
  ['* * @anyvm @dispvm:@tag:tag3 allow', 'vm1', '@dispvm:vm3', 'allow', '@dispvm:vm3'],
  ['* * @anyvm @dispvm:@tag:tag3 allow', 'vm1', '@dispvm:default-dvm', 'deny', null],
  ['* * @anyvm @dispvm:@tag:tag3 allow', 'vm1', '@dispvm', 'deny', null],
  ['* * @anyvm @anyvm allow', 'vm1', '@dispvm', 'allow', '@dispvm:default-dvm'],
  ['* * @anyvm @anyvm allow', 'vm1', '@dispvm:vm4', 'allow', '@dispvm:vm4'],
  ['* * @dispvm:default-dvm @anyvm allow', 'vm1', 'vm2', 'deny', null],
  // autostart=no refuses a halted target; dom0 always runs; a disposable always needs starting
  ['* * vm1 vm2 allow autostart=no', 'vm1', 'vm2', 'allow', 'vm2'],
  ['* * vm1 vm3 allow autostart=no', 'vm1', 'vm3', 'deny', null],
  ['* * vm1 @adminvm allow autostart=no', 'vm1', 'dom0', 'allow', 'dom0'],
  ['* * vm1 @dispvm allow autostart=no', 'vm1', '@dispvm', 'deny', null],
  ['* * vm1 vm3 allow autostart=yes', 'vm1', 'vm3', 'allow', 'vm3'],
  // source = target is refused
  ['* * @anyvm @anyvm allow', 'vm1', 'vm1', 'deny', null],
  ['* * @anyvm @anyvm allow target=vm1', 'vm1', 'vm2', 'deny', null],
  // unknown source, bad service or argument: refused before any rule
  ['* * * * allow', 'ghost', 'vm1', 'deny', null],
];
DECISIONS.forEach(([text, source, target, result, expect], i) => {
  test(`decision ${i}: [${text.replace(/\n/g, ' | ')}] ${source} -> ${JSON.stringify(target)} = ${result}`, () => {
    const d = ev(text, source, target);
    assert.equal(d.result, result, d.reason);
    if (result === 'allow') assert.equal(d.target, expect);
    if (result === 'deny') assert.equal(d.target, null);
  });
});

test('invalid service or argument in a request is refused', () => {
  const p = policy('* * * * allow');
  assert.equal(evaluate(p, SYS, { source: 'vm1', target: 'vm2', service: 'a/b', argument: '+' }).result, 'deny');
  assert.equal(evaluate(p, SYS, { source: 'vm1', target: 'vm2', service: 'a', argument: 'x' }).result, 'deny');
});

test('the deciding rule, user and notify are reported', () => {
  const d = ev('* * vm2 vm1 deny\n* * @anyvm @anyvm allow user=root notify=yes', 'vm1', 'vm2');
  assert.deepEqual([d.rule, d.user, d.notify, d.autostart], ['p:2', 'root', true, true]);
  const n = ev('* * @anyvm @anyvm deny notify=no', 'vm1', 'vm2');
  assert.deepEqual([n.rule, n.notify], ['p:1', false]);
  const none = ev('other * @anyvm @anyvm allow', 'vm1', 'vm2');
  assert.deepEqual([none.rule, none.notify, none.reason], [null, true, 'no matching rule found']);
});

test('a policy that failed to load denies everything', () => {
  const load = parsePolicyText('* * @anyvm @anyvm allow\nbroken line\n', 'p');
  assert.equal(load.ok, false);
  const d = evaluate(load, SYS, { source: 'vm1', target: 'vm2', service: 's', argument: '+' });
  assert.equal(d.result, 'deny');
});

const CANDIDATE_POLICY = `
  * * vm1 vm2 allow
  * * vm1 @anyvm ask
  * * vm2 @tag:tag1 deny
  * * vm2 @tag:tag2 allow
  * * no-dvm @type:AppVM deny
  * * @type:AppVM @default allow target=vm3
  * * @tag:tag1 @type:AppVM allow
  * * no-dvm @dispvm allow
  * * standalone @dispvm allow
  * * standalone @adminvm allow
  * * @anyvm @anyvm ask`;

// [source, expected candidates] for an ask reached through the last rule
const CANDIDATES: Array<[string, string[]]> = [
  ['vm1', ['@dispvm:default-dvm', '@dispvm:vm3', '@dispvm:vm4', 'bad-dvm', 'default-dvm', 'disp1', 'no-dvm', 'standalone', 'tpl', 'vm2', 'vm3', 'vm4']],
  ['vm2', ['@dispvm:default-dvm', '@dispvm:vm3', '@dispvm:vm4', 'default-dvm', 'disp1', 'vm3', 'vm4']],
  ['standalone', ['@dispvm:default-dvm', '@dispvm:vm3', '@dispvm:vm4', 'bad-dvm', 'default-dvm', 'disp1', 'dom0', 'no-dvm', 'tpl', 'vm1', 'vm2', 'vm3', 'vm4']],
];
for (const [source, expected] of CANDIDATES) {
  test(`ask candidates for ${source}: source and internal qubes removed, denies subtracted`, () => {
    const d = ev(CANDIDATE_POLICY, source, source === 'vm2' ? 'vm4' : source === 'vm1' ? 'vm3' : '@default');
    assert.equal(d.result, 'ask', d.reason);
    assert.deepEqual(d.candidates, expected);
  });
}

test('ask candidates without the catch-all: Qubes collect_targets examples', () => {
  const base = CANDIDATE_POLICY.split('\n').slice(0, -1).join('\n');
  // vm2: its @tag:tag2 allow adds, the @tag:tag1 deny takes away, the redirect adds vm3, the ask rule
  // itself adds vm4; vm2 itself is removed
  const withAsk = `* * vm2 vm4 ask\n${base}`;
  assert.deepEqual(ev(withAsk, 'vm2', 'vm4').candidates, ['vm3', 'vm4']);
  // no-dvm: every AppVM is denied, @dispvm has no default disposable template -> nothing left -> deny
  const nd = ev(`* * no-dvm @default ask\n${base}`, 'no-dvm', '@default');
  assert.equal(nd.result, 'deny');
  assert.match(nd.reason, /no target is available/);
});

test('ask with target= offers just that target; default_target kept only when offered', () => {
  const d = ev('* * vm1 @default ask target=vm2 default_target=vm2', 'vm1', '');
  assert.deepEqual([d.result, d.candidates, d.default_target], ['ask', ['vm2'], 'vm2']);
  const admin = ev('* * vm3 @default ask target=uuid:00000000-0000-0000-0000-000000000000 default_target=@adminvm', 'vm3', '@default');
  assert.deepEqual([admin.candidates, admin.default_target], [['dom0'], 'dom0']);
  const bad = ev('* * vm3 vm2 ask default_target=vm1', 'vm3', 'vm2');
  assert.deepEqual([bad.result, bad.candidates, bad.default_target], ['ask', ['vm2'], null]);
  const disp = ev('* * @anyvm @anyvm ask default_target=@dispvm\n* * @anyvm @dispvm ask', 'vm3', 'vm1');
  assert.equal(disp.default_target, '@dispvm:default-dvm');
  assert.ok(disp.candidates.includes('@dispvm:default-dvm'));
  const self = ev('* * vm1 @default ask target=vm1', 'vm1', '');
  assert.equal(self.result, 'deny');
});

test('ask with autostart=no offers only running qubes and dom0', () => {
  const d = ev('* * vm1 @anyvm ask autostart=no\n* * vm1 @adminvm ask', 'vm1', 'vm2');
  assert.deepEqual(d.candidates, ['disp1', 'dom0', 'vm2']);
  assert.equal(d.autostart, false);
});

test('ask notify and user are passed on', () => {
  const d = ev('* * @anyvm @anyvm ask notify=yes user=u', 'vm1', 'vm2');
  assert.deepEqual([d.notify, d.user], [true, 'u']);
});

test('rules are indexed by service without changing first-match order', () => {
  const text = ['a * @anyvm @anyvm deny', '* * vm1 @anyvm allow', 'a * @anyvm @anyvm allow', 'b +x @anyvm @anyvm ask'].join('\n');
  assert.equal(ev(text, 'vm1', 'vm2', 'a', '+').rule, 'p:1');
  assert.equal(ev(text, 'vm1', 'vm2', 'b', '+x').rule, 'p:2');
  assert.equal(ev(text, 'vm2', 'vm1', 'b', '+x').rule, 'p:4');
  assert.equal(ev(text, 'vm2', 'vm1', 'b', '+y').rule, null);
  assert.equal(ev(text, 'vm1', 'vm2', 'zzz', '+').rule, 'p:2');
});
