// Golden text of the systemd unit, its command lines, and the paths it refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { STOP_QUBES_TIMEOUT_S, UNIT_MARK, UNIT_STOP_TIMEOUT_S, unitCommands, unitText } from './unit.js';

const input = { node: '/usr/bin/node', repo: '/opt/bulkhead/', home: '/var/lib/bulkhead' };
const golden = readFileSync(new URL('./bulkheadd.service.golden', import.meta.url), 'utf8');

test('unit text equals the golden file', () => {
  assert.equal(unitText(input), golden);
});

test('the unit runs absolute paths of the checkout, never the current directory', () => {
  const c = unitCommands(input);
  assert.deepEqual(c.start, ['/usr/bin/node', '--title=bulkheadd', '/opt/bulkhead/dist/daemon/main.js']);
  assert.deepEqual(c.stop, [
    '/usr/bin/node',
    '/opt/bulkhead/dist/cli/main.js',
    'daemon',
    'stop',
    '--shutdown-qubes',
    '--timeout',
    String(STOP_QUBES_TIMEOUT_S),
  ]);
  const text = unitText({ ...input, home: '/srv/bh-state' });
  assert.match(text, /^Environment=BULKHEAD_HOME=\/srv\/bh-state$/m);
  assert.ok(text.startsWith(UNIT_MARK));
  for (const line of text.split('\n').filter((l) => /^Exec/.test(l))) assert.match(line, /^Exec(Start|Stop)=\//, line);
});

test('stop timeout covers the qubes shutdown and the daemon exit', () => {
  assert.ok(UNIT_STOP_TIMEOUT_S >= STOP_QUBES_TIMEOUT_S + 10 + 5);
  assert.match(unitText(input), new RegExp(`^TimeoutStopSec=${UNIT_STOP_TIMEOUT_S}$`, 'm'));
});

test('paths systemd would misread are refused with the field named', () => {
  const bad: [Partial<typeof input>, RegExp][] = [
    [{ home: 'var/lib/bulkhead' }, /BULKHEAD_HOME 'var\/lib\/bulkhead'/],
    [{ home: '/var/lib/bulk head' }, /BULKHEAD_HOME .*absolute path of letters/],
    [{ home: '/var/lib/100%' }, /BULKHEAD_HOME/],
    [{ home: '/var/lib/"x"' }, /BULKHEAD_HOME/],
    [{ home: '/var/lib/x\nExecStartPre=/bin/sh' }, /BULKHEAD_HOME/],
    [{ home: '/var/lib/../../tmp' }, /BULKHEAD_HOME/],
    [{ repo: './' }, /checkout '.\/'/],
    [{ repo: '/home/u/my checkout' }, /checkout/],
    [{ node: 'node' }, /node 'node'/],
    [{ node: '/usr/bin/no\\de' }, /node/],
  ];
  for (const [over, re] of bad)
    assert.throws(
      () => unitText({ ...input, ...over }),
      (e: Error & { code?: string }) => re.test(e.message) && e.code === 'ERR_INVALID_VALUE',
      JSON.stringify(over),
    );
});
