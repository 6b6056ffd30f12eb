// Table tests of name rules, property parsing, defaults and cross-qube checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateName, checkPropertySet, effective, parsePropValue, propertyDef, type QubeRecord, type SystemView } from './index.js';

function q(name: string, klass: QubeRecord['klass'], props: QubeRecord['props'] = {}, qid = 1): QubeRecord {
  return { name, uuid: `uuid-${name}`, qid, klass, label: 'red', props, tags: [], features: {}, createdAt: '' };
}
function sys(qs: QubeRecord[], globals: SystemView['globals'] = {}): SystemView {
  return { qubes: new Map(qs.map((x) => [x.name, x])), globals };
}

test('valid names', () => {
  for (const n of ['work', 'a', 'sys-net', 'debian-12', 'A1_b.c-d', 'x'.repeat(31)]) assert.equal(validateName(n), n);
});

test('invalid names are refused with the rule', () => {
  const cases: [unknown, RegExp][] = [
    ['', /non-empty/],
    [42, /non-empty/],
    ['1abc', /start with a letter/],
    ['-x', /start with a letter/],
    ['a b', /only letters/],
    ['a/b', /only letters/],
    ['x'.repeat(32), /longer than 31/],
    ['dom0', /reserved/],
    ['none', /reserved/],
    ['default', /reserved/],
    ['foo-dm', /-dm/],
    ['ünï', /start with a letter/],
    ['a\n', /only letters/],
  ];
  for (const [n, re] of cases)
    assert.throws(
      () => validateName(n),
      (e: Error) => re.test(e.message),
      String(n),
    );
});

test('property value parsing by type', () => {
  assert.equal(parsePropValue(propertyDef('memory'), '512'), 512);
  assert.throws(() => parsePropValue(propertyDef('memory'), 'abc'), /not an integer/);
  assert.throws(() => parsePropValue(propertyDef('memory'), '8'), /below the minimum/);
  assert.throws(() => parsePropValue(propertyDef('memory'), 512 as unknown as string), /as a string/);
  assert.equal(parsePropValue(propertyDef('autostart'), 'yes'), true);
  assert.equal(parsePropValue(propertyDef('autostart'), 'False'), false);
  assert.throws(() => parsePropValue(propertyDef('autostart'), 'maybe'), /not a boolean/);
  assert.equal(parsePropValue(propertyDef('label'), 'blue'), 'blue');
  assert.throws(() => parsePropValue(propertyDef('label'), 'pink'), /not one of/);
  assert.equal(parsePropValue(propertyDef('netvm'), 'none'), null);
  assert.equal(parsePropValue(propertyDef('netvm'), ''), null);
  assert.throws(() => propertyDef('colour'), /unknown property 'colour'/);
});

test('defaults follow globals and classes', () => {
  const net = q('sys-net', 'app', { provides_network: true });
  const fw = q('sys-firewall', 'app', { provides_network: true, netvm: 'sys-net' });
  const tpl = q('debian-12', 'template');
  const work = q('work', 'app', { template: 'debian-12' });
  const s = sys([net, fw, tpl, work], { default_netvm: 'sys-firewall', default_template: 'debian-12' });
  assert.equal(effective(work, 'netvm', s), 'sys-firewall');
  assert.equal(effective(net, 'netvm', s), null, 'a netvm does not default to the global netvm');
  assert.equal(effective(tpl, 'netvm', s), null, 'templates have no netvm by default');
  assert.equal(effective(q('other', 'app'), 'template', s), 'debian-12');
  assert.equal(effective(work, 'memory', s), 400);
});

test('cross-qube checks: netvm, template, provides_network, memory', () => {
  const net = q('sys-net', 'app', { provides_network: true });
  const tpl = q('debian-12', 'template');
  const work = q('work', 'app', { template: 'debian-12', netvm: 'sys-net' });
  const plain = q('plain', 'app', { template: 'debian-12' });
  const s = sys([net, tpl, work, plain]);
  assert.throws(() => checkPropertySet(work, 'netvm', 'plain', s), /does not provide network/);
  assert.throws(() => checkPropertySet(work, 'netvm', 'nosuch', s), /no qube named/);
  assert.throws(() => checkPropertySet(work, 'netvm', 'work', s), /own netvm/);
  assert.throws(() => checkPropertySet(net, 'netvm', 'sys-net', s), /own netvm/);
  assert.throws(() => checkPropertySet(net, 'provides_network', 'false', s), /netvm of work/);
  assert.throws(() => checkPropertySet(work, 'template', 'plain', s), /not a template/);
  assert.throws(() => checkPropertySet(work, 'maxmem', '100', s), /below memory/);
  assert.throws(() => checkPropertySet(work, 'qid', '7', s), /read-only/);
  assert.throws(() => checkPropertySet(tpl, 'template', 'x', s), /unknown property 'template' for a template/);
  assert.equal(checkPropertySet(work, 'netvm', 'none', s), null);
  // a loop through two netvms
  const a = q('a', 'app', { provides_network: true, netvm: 'b' });
  const b = q('b', 'app', { provides_network: true });
  const s2 = sys([a, b]);
  assert.throws(() => checkPropertySet(b, 'netvm', 'a', s2), /loop/);
});

test('a workstation (anon-vm) never gets a clearnet netvm', () => {
  const fw = q('sys-firewall', 'app', { provides_network: true });
  const gw = { ...q('sys-whonix', 'app', { provides_network: true, netvm: 'sys-firewall' }), features: { gateway: 'tor' } };
  const ws = { ...q('anon-whonix', 'app', { netvm: 'sys-whonix' }), tags: ['anon-vm'] };
  const s = sys([fw, gw, ws], { default_netvm: 'sys-firewall' });
  assert.throws(() => checkPropertySet(ws, 'netvm', 'sys-firewall', s), /must be a gateway/);
  assert.equal(checkPropertySet(ws, 'netvm', 'sys-whonix', s), 'sys-whonix');
  assert.equal(checkPropertySet(ws, 'netvm', 'none', s), null);
  const reset = { ...ws, props: {} };
  assert.equal(effective(reset, 'netvm', s), null, 'default netvm of a workstation is none when the global default is clearnet');
});

test("tor_network: a gateway's network profile, lab by default, only lab or public, only on a gateway", () => {
  const gw = { ...q('sys-whonix', 'app', { provides_network: true }), features: { gateway: 'tor' } };
  const work = q('work', 'app');
  const s = sys([gw, work]);
  assert.equal(effective(gw, 'tor_network', s), 'lab');
  assert.equal(effective(work, 'tor_network', s), null);
  assert.equal(effective({ ...gw, props: { tor_network: 'public' } }, 'tor_network', s), 'public');
  assert.equal(checkPropertySet(gw, 'tor_network', 'public', s), 'public');
  assert.equal(checkPropertySet(gw, 'tor_network', 'lab', s), 'lab');
  for (const bad of ['main', 'Public', '', 'none', 'lab\n']) {
    assert.throws(
      () => checkPropertySet(gw, 'tor_network', bad, s),
      (e: Error) => /^tor_network: '.*' is not lab or public/s.test(e.message),
      bad,
    );
  }
  assert.throws(
    () => checkPropertySet(work, 'tor_network', 'lab', s),
    (e: Error) => /^tor_network: 'work' is not a gateway/.test(e.message),
  );
  assert.equal(propertyDef('tor_network').hot, undefined, 'not changed while the gateway runs');
});
