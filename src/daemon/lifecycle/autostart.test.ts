// Autostart order and failure handling, against an in-memory store and a start function that can fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { QubeRecord } from '../../model/index.js';
import type { DaemonContext } from '../context.js';
import { autostartQubes } from './autostart.js';

function q(name: string, netvm: string | null, autostart: boolean): QubeRecord {
  return { name, uuid: `u-${name}`, qid: 1, klass: 'app', label: 'red', props: { netvm, autostart }, tags: [], features: {}, createdAt: '' };
}

function fakeCtx(qubes: QubeRecord[], running: string[] = []) {
  const power = new Map(qubes.map((x) => [x.name, running.includes(x.name) ? 'running' : 'halted']));
  const audit: Array<{ event: string; qube: string | null; detail: unknown }> = [];
  const logs: string[] = [];
  const sys = { qubes: new Map(qubes.map((x) => [x.name, x])), globals: {} };
  const ctx = {
    store: {
      system: () => sys,
      getQube: (n: string) => sys.qubes.get(n),
      power: (n: string) => power.get(n),
      audit: (_a: string, event: string, qube: string | null, detail: unknown) => audit.push({ event, qube, detail }),
    },
    log: { info: () => undefined, error: (_o: unknown, m: string) => logs.push(m) },
  } as unknown as DaemonContext;
  return { ctx, power, audit, logs };
}

const layout = () => [
  q('work', 'sys-firewall', true),
  q('sys-firewall', 'sys-net', true),
  q('sys-net', null, true),
  q('anon', 'sys-whonix', true),
  q('sys-whonix', 'sys-firewall', true),
  q('plain', 'sys-firewall', false),
];

test('autostart qubes start one by one, each netvm first; a qube without autostart does not', async () => {
  const f = fakeCtx(layout());
  const order: string[] = [];
  const r = await autostartQubes(f.ctx, async (_c, n) => {
    order.push(n);
    f.power.set(n, 'running');
  });
  assert.deepEqual(order, ['sys-net', 'sys-firewall', 'sys-whonix', 'work', 'anon']);
  assert.deepEqual(r.started, order);
  assert.deepEqual(
    f.audit.map((a) => [a.event, a.qube, (a.detail as { result: string }).result]),
    order.map((n) => ['qube-autostart', n, 'started']),
  );
});

test('one failure is logged and audited, the others still start; users of the failed netvm are not retried through it', async () => {
  const f = fakeCtx(layout());
  const order: string[] = [];
  const r = await autostartQubes(f.ctx, async (_c, n) => {
    order.push(n);
    if (n === 'sys-whonix') throw new Error('tor config broken');
    f.power.set(n, 'running');
  });
  assert.deepEqual(order, ['sys-net', 'sys-firewall', 'sys-whonix', 'work']);
  assert.deepEqual(r.started, ['sys-net', 'sys-firewall', 'work']);
  assert.deepEqual(r.failed, [
    { qube: 'sys-whonix', reason: 'tor config broken' },
    { qube: 'anon', reason: "its netvm 'sys-whonix' failed to start" },
  ]);
  assert.deepEqual(
    f.audit.filter((a) => (a.detail as { result: string }).result === 'failed').map((a) => a.qube),
    ['sys-whonix', 'anon'],
  );
  assert.equal(f.logs.length, 2);
  assert.match(f.logs[0] as string, /autostart of sys-whonix failed: tor config broken/);
});

test('a qube found running again is not started twice', async () => {
  const f = fakeCtx(layout(), ['sys-net']);
  const order: string[] = [];
  await autostartQubes(f.ctx, async (_c, n) => {
    order.push(n);
    f.power.set(n, 'running');
  });
  assert.equal(order.includes('sys-net'), false);
  assert.equal(order[0], 'sys-firewall');
});
