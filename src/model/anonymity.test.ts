// Table tests of the Tor rule: which disposable templates an anonymous qube may use, and which changes take qubes off Tor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkStaysOnTor,
  dispvmRefusal,
  effective,
  isAnonymous,
  netPath,
  torViolations,
  torViolationsAdded,
  type QubeRecord,
  type SystemView,
} from './index.js';

function q(name: string, klass: QubeRecord['klass'], props: QubeRecord['props'] = {}, extra: Partial<QubeRecord> = {}): QubeRecord {
  return { name, uuid: `uuid-${name}`, qid: 1, klass, label: 'red', props, tags: [], features: {}, createdAt: '', ...extra };
}
const anon = { tags: ['anon-vm'] };
const gw = { features: { gateway: 'tor' } };

/** The system `init --uplink lab --whonix` makes, plus a few odd qubes for the table. */
function world(
  changes: Record<string, Partial<QubeRecord>> = {},
  globals: SystemView['globals'] = { default_dispvm: 'default-dvm', default_netvm: 'sys-firewall' },
): SystemView {
  const qs = [
    q('debian-12', 'template'),
    q('whonix-ws', 'template'),
    q('whonix-gw', 'template'),
    q('sys-net', 'app', { provides_network: true, netvm: null }),
    q('sys-firewall', 'app', { provides_network: true, netvm: 'sys-net' }),
    q('sys-whonix', 'app', { provides_network: true, netvm: 'sys-firewall', template: 'whonix-gw' }, gw),
    q('whonix-dvm', 'app', { template_for_dispvms: true, netvm: 'sys-whonix', default_dispvm: 'whonix-dvm', template: 'whonix-ws' }, anon),
    q('anon-whonix', 'app', { netvm: 'sys-whonix', default_dispvm: 'whonix-dvm', template: 'whonix-ws' }, anon),
    q('default-dvm', 'app', { template_for_dispvms: true, template: 'debian-12' }),
    q('offline-dvm', 'app', { template_for_dispvms: true, netvm: null, template: 'debian-12' }),
    // A proxy behind the gateway (e.g. a firewall qube between workstations and sys-whonix).
    q('tor-proxy', 'app', { provides_network: true, netvm: 'sys-whonix', template: 'debian-12' }),
    q('behind-proxy', 'app', { netvm: 'tor-proxy', template: 'debian-12' }),
    q('proxy-dvm', 'app', { template_for_dispvms: true, netvm: 'tor-proxy', template: 'debian-12' }),
    q('work', 'app', { template: 'debian-12' }),
    q('disp1', 'disposable', { template: 'whonix-dvm', netvm: 'sys-whonix' }, anon),
    q('disp2', 'disposable', { template: 'default-dvm' }),
  ];
  const m = new Map(qs.map((x) => [x.name, x]));
  for (const [n, c] of Object.entries(changes)) {
    const old = m.get(n);
    m.set(n, old ? { ...old, ...c, props: { ...old.props, ...(c.props ?? {}) } } : q(n, 'app', c.props ?? {}, c));
  }
  return { qubes: m, globals };
}

test('netPath: how each qube reaches out', () => {
  const s = world();
  const table: [string, string, string[]][] = [
    ['anon-whonix', 'tor', ['sys-whonix']],
    ['behind-proxy', 'tor', ['tor-proxy', 'sys-whonix']],
    ['work', 'clearnet', ['sys-firewall', 'sys-net']],
    ['sys-whonix', 'clearnet', ['sys-firewall', 'sys-net']], // the gateway itself uses clearnet; it is not anonymous
    ['offline-dvm', 'none', []],
    ['sys-net', 'none', []],
    ['disp1', 'tor', ['sys-whonix']],
    ['disp2', 'clearnet', ['sys-firewall', 'sys-net']],
  ];
  for (const [name, reach, chain] of table) assert.deepEqual(netPath(s, s.qubes.get(name)!), { reach, chain }, name);
  // A netvm that does not exist counts as clearnet (fail closed).
  const dangling = world({ x: { props: { netvm: 'gone' } } });
  assert.equal(netPath(dangling, dangling.qubes.get('x')!).reach, 'clearnet');
});

test('isAnonymous: tag anon-vm, or a gateway in the chain', () => {
  const s = world({ 'tagged-offline': { tags: ['anon-vm'], props: { netvm: null } } });
  const table: [string, boolean][] = [
    ['anon-whonix', true],
    ['whonix-dvm', true],
    ['behind-proxy', true],
    ['disp1', true],
    ['tagged-offline', true],
    ['work', false],
    ['sys-whonix', false],
    ['default-dvm', false],
    ['offline-dvm', false],
    ['disp2', false],
  ];
  for (const [name, want] of table) assert.equal(isAnonymous(s, s.qubes.get(name)!), want, name);
});

test('dispvmRefusal: (source, disposable template) → allowed or refused', () => {
  const s = world();
  const table: [string, string, boolean][] = [
    ['anon-whonix', 'whonix-dvm', true],
    ['anon-whonix', 'offline-dvm', true], // no network: cannot reveal the address
    ['anon-whonix', 'proxy-dvm', true], // behind a gateway through a proxy
    ['anon-whonix', 'default-dvm', false],
    ['disp1', 'whonix-dvm', true], // disposable of a disposable
    ['disp1', 'default-dvm', false],
    ['behind-proxy', 'default-dvm', false], // untagged but behind a gateway
    ['whonix-dvm', 'default-dvm', false],
    ['work', 'default-dvm', true], // clearnet qubes are not restricted
    ['work', 'whonix-dvm', true],
    ['disp2', 'default-dvm', true],
    ['anon-whonix', 'no-such-dvm', false], // fail closed
    ['no-such-qube', 'whonix-dvm', false],
  ];
  for (const [src, tpl, ok] of table) {
    const why = dispvmRefusal(s, src, tpl);
    assert.equal(why === null, ok, `${src} → ${tpl}: ${why}`);
  }
  assert.match(dispvmRefusal(s, 'anon-whonix', 'default-dvm')!, /'default-dvm'.*clearnet.*sys-firewall → sys-net/);
});

test('default_dispvm falls back to none, never to a clearnet template; a disposable inherits its template', () => {
  const s = world({ 'whonix-dvm': { props: {} }, anon2: { tags: ['anon-vm'], props: { netvm: 'sys-whonix' } } });
  const dvm = { ...s.qubes.get('whonix-dvm')!, props: { template_for_dispvms: true, netvm: 'sys-whonix', template: 'whonix-ws' } };
  const s2: SystemView = { qubes: new Map([...s.qubes, ['whonix-dvm', dvm]]), globals: s.globals };
  const table: [string, string | null][] = [
    ['whonix-dvm', null], // global default-dvm is clearnet: none (the breach of issue 8 item 3 was default-dvm here)
    ['anon2', null],
    ['behind-proxy', null],
    ['work', 'default-dvm'],
    ['disp1', 'whonix-dvm'], // Qubes: a disposable's default_dispvm is its template
    ['disp2', 'default-dvm'],
  ];
  for (const [name, want] of table) assert.equal(effective(s2.qubes.get(name)!, 'default_dispvm', s2), want, name);
});

test('torViolationsAdded: which changes take qubes or their disposables off Tor', () => {
  const base = world();
  const table: [string, Record<string, Partial<QubeRecord>>, SystemView['globals'] | null, RegExp | null][] = [
    [
      'anon-whonix default_dispvm default-dvm',
      { 'anon-whonix': { props: { default_dispvm: 'default-dvm' } } },
      null,
      /default_dispvm.*'anon-whonix'.*'default-dvm'/,
    ],
    ['whonix-dvm default_dispvm default-dvm', { 'whonix-dvm': { props: { default_dispvm: 'default-dvm' } } }, null, /'whonix-dvm'/],
    ['whonix-dvm netvm sys-firewall', { 'whonix-dvm': { props: { netvm: 'sys-firewall' } } }, null, /whonix-dvm/],
    ['anon-whonix netvm sys-firewall', { 'anon-whonix': { props: { netvm: 'sys-firewall' } } }, null, /'anon-whonix' would leave Tor/],
    ['gateway chain: tor-proxy netvm sys-firewall', { 'tor-proxy': { props: { netvm: 'sys-firewall' } } }, null, /'behind-proxy' would leave Tor/],
    ['gateway loses its gateway feature', { 'sys-whonix': { features: {} } }, null, /anon-whonix/],
    [
      'proxy-dvm (used by anon-whonix) netvm sys-firewall',
      { 'anon-whonix': { props: { default_dispvm: 'proxy-dvm' } }, 'proxy-dvm': { props: { netvm: 'sys-firewall' } } },
      null,
      /proxy-dvm/,
    ],
    [
      'offline-dvm (used by anon-whonix) gets clearnet',
      { 'anon-whonix': { props: { default_dispvm: 'offline-dvm' } }, 'offline-dvm': { props: { netvm: 'sys-firewall' } } },
      null,
      /offline-dvm/,
    ],
    [
      'tag anon-vm on a qube with a clearnet default_dispvm',
      { work: { tags: ['anon-vm'], props: { netvm: null, default_dispvm: 'default-dvm' } } },
      null,
      /'work'/,
    ],
    ['work behind the gateway with default_dispvm default-dvm', { work: { props: { netvm: 'sys-whonix', default_dispvm: 'default-dvm' } } }, null, /'work'/],
    // allowed:
    ['anon-whonix netvm none', { 'anon-whonix': { props: { netvm: null } } }, null, null],
    ['anon-whonix default_dispvm none', { 'anon-whonix': { props: { default_dispvm: null } } }, null, null],
    ['anon-whonix default_dispvm offline-dvm', { 'anon-whonix': { props: { default_dispvm: 'offline-dvm' } } }, null, null],
    ['whonix-dvm netvm none', { 'whonix-dvm': { props: { netvm: null } } }, null, null],
    ['sys-whonix netvm sys-net', { 'sys-whonix': { props: { netvm: 'sys-net' } } }, null, null],
    ['work default_dispvm whonix-dvm', { work: { props: { default_dispvm: 'whonix-dvm' } } }, null, null],
    ['global default_dispvm default-dvm (anonymous qubes fall back to none)', {}, { default_dispvm: 'default-dvm', default_netvm: 'sys-firewall' }, null],
  ];
  for (const [what, changes, globals, want] of table) {
    const after = world(changes, globals ?? undefined);
    const added = torViolationsAdded(base, after);
    if (want === null) assert.deepEqual(added, [], what);
    else {
      assert.ok(added.length > 0, `${what}: refused`);
      assert.match(added.map((v) => v.message).join('; '), want, what);
      assert.throws(
        () => checkStaysOnTor(base, after, what),
        (e: Error & { code?: string }) => e.code === 'ERR_OFF_TOR' && e.message.startsWith(`${what}: refused`),
      );
    }
  }
});

test('a system that already breaks the rule can be repaired step by step, but not made worse', () => {
  const broken = world({ 'anon-whonix': { props: { default_dispvm: 'default-dvm' } } });
  assert.equal(torViolations(broken).length, 1);
  // An unrelated change is not refused because of the old violation.
  assert.deepEqual(torViolationsAdded(broken, world({ 'anon-whonix': { props: { default_dispvm: 'default-dvm' } }, work: { label: 'blue' } })), []);
  // The repair is allowed and removes it.
  const fixed = world({ 'anon-whonix': { props: { default_dispvm: 'whonix-dvm' } } });
  assert.deepEqual(torViolationsAdded(broken, fixed), []);
  assert.deepEqual(torViolations(fixed), []);
  // Another qube broken on top is refused.
  assert.equal(
    torViolationsAdded(
      broken,
      world({ 'anon-whonix': { props: { default_dispvm: 'default-dvm' } }, 'whonix-dvm': { props: { default_dispvm: 'default-dvm' } } }),
    ).length,
    1,
  );
});
