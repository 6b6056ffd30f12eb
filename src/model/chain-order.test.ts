// Table tests of the netvm-chain start order and shutdown steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shutdownSteps, startOrder, type QubeRecord, type SystemView } from './index.js';

function q(name: string, netvm: string | null, extra: QubeRecord['props'] = {}): QubeRecord {
  return { name, uuid: `uuid-${name}`, qid: 1, klass: 'app', label: 'red', props: { netvm, ...extra }, tags: [], features: {}, createdAt: '' };
}
const sys = (qs: QubeRecord[], globals: SystemView['globals'] = {}): SystemView => ({ qubes: new Map(qs.map((x) => [x.name, x])), globals });

// The Qubes layout: sys-net <- sys-firewall <- {sys-whonix <- anon-whonix, work}; vault has no network.
const qubes = sys([
  q('sys-net', null, { provides_network: true }),
  q('sys-firewall', 'sys-net', { provides_network: true }),
  q('sys-whonix', 'sys-firewall', { provides_network: true }),
  q('anon-whonix', 'sys-whonix'),
  q('work', 'sys-firewall'),
  q('vault', null),
]);

test('start order: each netvm before the qubes behind it, stable by name within a depth', () => {
  assert.deepEqual(startOrder(qubes, ['anon-whonix', 'work', 'sys-whonix', 'sys-net', 'sys-firewall', 'vault']), [
    'sys-net',
    'vault',
    'sys-firewall',
    'sys-whonix',
    'work',
    'anon-whonix',
  ]);
  assert.deepEqual(startOrder(qubes, ['sys-firewall', 'sys-net', 'sys-net']), ['sys-net', 'sys-firewall']);
  assert.deepEqual(startOrder(qubes, []), []);
});

test('shutdown steps: users first, then gateways, sys-firewall, sys-net', () => {
  assert.deepEqual(shutdownSteps(qubes, ['sys-net', 'sys-firewall', 'sys-whonix', 'anon-whonix', 'work', 'vault']), [
    ['anon-whonix', 'vault', 'work'],
    ['sys-whonix'],
    ['sys-firewall'],
    ['sys-net'],
  ]);
  // Only running qubes are given: a netvm whose users are halted goes in the first step.
  assert.deepEqual(shutdownSteps(qubes, ['sys-net', 'sys-firewall', 'work']), [['work'], ['sys-firewall'], ['sys-net']]);
  assert.deepEqual(shutdownSteps(qubes, ['sys-whonix', 'sys-net']), [['sys-net', 'sys-whonix']]);
  assert.deepEqual(shutdownSteps(qubes, []), []);
});

test('a qube using the end of the chain directly waits for the longest chain', () => {
  const s = sys([q('sys-net', null), q('sys-firewall', 'sys-net'), q('direct', 'sys-net'), q('ws', 'sys-firewall')]);
  assert.deepEqual(shutdownSteps(s, ['sys-net', 'sys-firewall', 'direct', 'ws']), [['direct', 'ws'], ['sys-firewall'], ['sys-net']]);
});

test('a netvm cycle or a missing netvm does not loop', () => {
  const s = sys([q('a', 'b'), q('b', 'a'), q('c', 'gone')]);
  assert.equal(startOrder(s, ['a', 'b', 'c']).length, 3);
  const steps = shutdownSteps(s, ['a', 'b', 'c']);
  assert.deepEqual(steps.flat().sort(), ['a', 'b', 'c']);
});
