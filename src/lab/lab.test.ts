// Unit tests of lab/ pieces that need no namespaces: the server script, certificate names, the state record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../exec/index.js';
import { serverSans } from './ca.js';
import { readLabState, writeLabState, withLabLock, type LabState } from './state.js';
import { WEB_SERVER_SOURCE } from './web-server.js';

test('the web server script is valid JavaScript', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bh-lab-unit-'));
  try {
    const f = join(dir, 'web-server.mjs');
    await writeFile(f, WEB_SERVER_SOURCE);
    const r = await run(process.execPath, ['--check', f], { allowFail: true });
    assert.equal(r.code, 0, r.stderr);
    assert.match(WEB_SERVER_SOURCE, /bulkhead lab/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the server certificate names both web hosts, the wildcard, and their addresses', () => {
  const sans = serverSans().split(',');
  for (const s of ['DNS:web.lab.test', 'DNS:other.lab.test', 'DNS:example.com', 'DNS:*.lab.test', 'IP:192.0.2.10', 'IP:192.0.2.20'])
    assert.ok(sans.includes(s), s);
  assert.ok(!sans.some((s) => s.includes('192.0.2.53')), 'the DNS host serves no HTTPS');
});

test('the state record round-trips, and a bad one is refused naming the field', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bh-lab-unit-'));
  try {
    assert.equal(await readLabState(dir), undefined);
    const s: LabState = {
      version: 1,
      prefix: 'p',
      createdAt: 'now',
      hosts: [],
      processes: [{ name: 'web', pid: 5, startTime: 9, netns: 'p-lab-web' }],
      uplinks: [],
      files: ['ca.pem'],
    };
    await writeLabState(dir, s);
    assert.deepEqual(await readLabState(dir), s);
    await writeFile(join(dir, 'lab.json'), JSON.stringify({ ...s, processes: [{ name: 'web', pid: -1, startTime: 9, netns: 'x' }] }));
    await assert.rejects(readLabState(dir), /lab\.json: field processes\.0\.pid/);
    await writeFile(join(dir, 'lab.json'), '{"version":1,');
    await assert.rejects(readLabState(dir), /not valid JSON/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the lab lock serialises changes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bh-lab-unit-'));
  try {
    const order: string[] = [];
    const slow = withLabLock(dir, async () => {
      order.push('a+');
      await new Promise((r) => setTimeout(r, 60));
      order.push('a-');
    });
    await new Promise((r) => setTimeout(r, 5));
    const fast = withLabLock(dir, async () => {
      order.push('b');
    });
    await Promise.all([slow, fast]);
    assert.deepEqual(order, ['a+', 'a-', 'b']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
