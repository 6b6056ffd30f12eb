// Tests of qubes.xml and firewall.xml reading and of the restore plan: classes, labels, templates mapped by name, netvm chain, refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFirewallXml } from './firewall-xml.js';
import { SAMPLE_FIREWALL_XML, sampleQubesXml } from './fixture.test-util.js';
import { planRestore, type HostView } from './plan.js';
import { parseQubesXml } from './qubes-xml.js';

const xml = (s: string) => Buffer.from(s);

test('qubes.xml: domains with labels resolved, properties, tags, backup paths and private size', () => {
  const q = parseQubesXml(xml(sampleQubesXml()));
  assert.equal(q.globals.get('default_netvm'), 'sys-firewall');
  const work = q.domains.find((d) => d.name === 'q-work')!;
  assert.equal(work.klass, 'AppVM');
  assert.equal(work.label, 'blue');
  assert.equal(work.template, 'fedora-39');
  assert.equal(work.props.get('netvm'), 'q-firewall');
  assert.equal(work.props.get('memory'), '500');
  assert.equal(work.props.has('qid'), false);
  assert.deepEqual(work.tags, ['created-by-dom0', 'work-data', 'bad tag!']);
  assert.equal(work.backupPath, 'vm7');
  assert.equal(work.features.get('service.cups'), '1');
  assert.equal(work.privateSize, 2147483648);
  assert.equal(q.domains.find((d) => d.name === 'q-firewall')!.props.get('netvm'), '');
  assert.equal(q.domains.find((d) => d.name === 'fedora-39')!.backupPath, null);
  assert.equal(q.domains.find((d) => d.klass === 'AdminVM')!.name, 'dom0');
});

test('qubes.xml: malformed, DTDs, unknown labels and duplicate names are refused', () => {
  assert.throws(() => parseQubesXml(xml('<qubes><domains>')), /not well-formed XML/);
  assert.throws(() => parseQubesXml(xml('<!DOCTYPE q [<!ENTITY a "aaaa">]><qubes/>')), /DOCTYPE or ENTITY/);
  assert.throws(() => parseQubesXml(xml('<other/>')), /no <qubes> root/);
  assert.throws(() => parseQubesXml(xml(sampleQubesXml().replace('"label">label-6<', '"label">label-66<'))), /domain 'q-work'.*label 'label-66'/);
  assert.throws(() => parseQubesXml(xml(sampleQubesXml({ work: 'q-firewall' }))), /the name 'q-firewall' appears twice/);
  assert.throws(() => parseQubesXml(Buffer.alloc(2 * 1024 * 1024, 0x20)), /larger than/);
});

test('firewall.xml: Qubes R4 rules become bulkhead rules; bad ones are named by number', () => {
  assert.deepEqual(parseFirewallXml(xml(SAMPLE_FIREWALL_XML), 'fw'), [
    'action=accept specialtarget=dns',
    'action=accept dsthost=192.168.7.0/24 proto=tcp dstports=443',
    'action=accept proto=icmp',
    'action=drop',
  ]);
  const rule = (props: string) => `<firewall version="2"><rules><rule><properties>${props}</properties></rule></rules></firewall>`;
  assert.deepEqual(
    parseFirewallXml(
      xml(
        rule(
          '<property name="action">accept</property><property name="dstname">example.org</property><property name="proto">udp</property><property name="dstports">1000-2000</property><property name="comment">a b</property>',
        ),
      ),
      'fw',
    ),
    ['action=accept dsthost=example.org proto=udp dstports=1000-2000 comment=a b'],
  );
  assert.throws(() => parseFirewallXml(xml(rule('<property name="action">maybe</property>')), 'vm1/firewall.xml'), /vm1\/firewall\.xml rule 1: .*action/);
  assert.throws(
    () => parseFirewallXml(xml(rule('<property name="action">accept</property><property name="evil">1</property>')), 'fw'),
    /unknown rule property 'evil'/,
  );
  assert.throws(() => parseFirewallXml(xml('<firewall version="1"/>'), 'fw'), /version 1/);
});

const host = (extra: [string, { klass: string; providesNetwork: boolean; dispTemplate: boolean }][] = []): HostView => ({
  qubes: new Map([['debian-12', { klass: 'template', providesNetwork: false, dispTemplate: false }], ...extra]),
  defaultTemplate: 'debian-12',
});

test('plan: classes, templates mapped by name, netvm chain, tags, kept properties', () => {
  const d = parseQubesXml(xml(sampleQubesXml())).domains;
  const p = planRestore(d, host());
  assert.deepEqual(
    p.qubes.map((q) => [q.name, q.klass, q.template, q.label]),
    [
      ['q-firewall', 'app', 'debian-12', 'orange'],
      ['q-work', 'app', 'debian-12', 'blue'],
    ],
  );
  const work = p.qubes[1]!;
  assert.deepEqual(work.netvm, { kind: 'qube', name: 'q-firewall' });
  assert.deepEqual(p.qubes[0]!.netvm, { kind: 'none' });
  assert.equal(p.qubes[0]!.props.provides_network, 'true');
  assert.deepEqual(work.props, { memory: '500', maxmem: '2000' });
  assert.deepEqual(work.tags, ['created-by-dom0', 'work-data']);
  assert.match(work.notes.join('\n'), /bad tag!/);
  assert.deepEqual(p.skipped, [{ name: 'fedora-39', reason: "a template: qubes based on it use bulkhead's template 'debian-12'" }]);
  // A template of the same name on the host is used as it is.
  const same = planRestore(d, host([['fedora-39', { klass: 'template', providesNetwork: false, dispTemplate: false }]]));
  assert.equal(same.qubes[0]!.template, 'fedora-39');
  // Only q-work: its netvm is not restored and not a netvm here, so it falls back to the default.
  const only = planRestore(d, host(), ['q-work']);
  assert.deepEqual(only.qubes[0]!.netvm, { kind: 'default' });
  assert.match(only.qubes[0]!.notes.join('\n'), /netvm 'q-firewall' is neither restored nor a netvm here/);
  // Existing names are skipped.
  assert.deepEqual(
    planRestore(d, host([['q-work', { klass: 'app', providesNetwork: false, dispTemplate: false }]])).skipped.map((s) => s.name),
    ['q-work', 'fedora-39'],
  );
});

test('plan: refusals name the qube', () => {
  const d = parseQubesXml(xml(sampleQubesXml())).domains;
  assert.throws(() => planRestore(d, host(), ['nope']), /no qube named 'nope'/);
  assert.throws(() => planRestore(d, { ...host(), defaultTemplate: null }), /qube 'q-firewall'.*no default_template/);
  assert.throws(() => planRestore(parseQubesXml(xml(sampleQubesXml({ workPath: '../etc' }))).domains, host()), /qube 'q-work'.*backup-path/);
  const custom = parseQubesXml(xml(sampleQubesXml().replace('>blue<', '>teal<'))).domains;
  assert.throws(() => planRestore(custom, host()), /qube 'q-work'.*label 'teal'/);
});

test('plan: a disposable template, a named disposable of it and a standalone', () => {
  const extra = `    <domain id="domain-9" class="AppVM"><properties><property name="name">q-dvm</property><property name="label">label-1</property><property name="template">fedora-39</property><property name="template_for_dispvms">True</property></properties><features><feature name="backup-content">True</feature><feature name="backup-path">vm9</feature></features><tags/></domain>
    <domain id="domain-10" class="DispVM"><properties><property name="name">q-disp</property><property name="label">label-1</property><property name="template">q-dvm</property><property name="netvm"></property></properties><features><feature name="backup-content">True</feature><feature name="backup-path">vm10</feature></features><tags/></domain>
    <domain id="domain-11" class="StandaloneVM"><properties><property name="name">q-alone</property><property name="label">label-7</property><property name="default_dispvm">q-dvm</property></properties><features><feature name="backup-content">True</feature><feature name="backup-path">vm11</feature></features><tags/></domain>
  </domains>`;
  const d = parseQubesXml(xml(sampleQubesXml().replace('  </domains>', extra))).domains;
  const p = planRestore(d, host(), ['q-dvm', 'q-disp', 'q-alone']);
  const by = new Map(p.qubes.map((q) => [q.name, q]));
  assert.equal(by.get('q-dvm')!.klass, 'app');
  assert.equal(by.get('q-dvm')!.props.template_for_dispvms, 'true');
  assert.equal(by.get('q-disp')!.klass, 'disposable');
  assert.equal(by.get('q-disp')!.template, 'q-dvm');
  assert.equal(by.get('q-alone')!.klass, 'standalone');
  assert.equal(by.get('q-alone')!.template, 'debian-12');
  assert.equal(by.get('q-alone')!.props.default_dispvm, 'q-dvm');
  assert.match(by.get('q-alone')!.notes.join('\n'), /root\.img is not restored/);
  assert.equal(p.qubes[p.qubes.length - 1]!.name, 'q-disp', 'a disposable comes after its disposable template');
  // Without its disposable template the named disposable cannot be made.
  assert.throws(() => planRestore(d, host(), ['q-disp']), /qube 'q-disp'.*disposable template 'q-dvm'/);
});
