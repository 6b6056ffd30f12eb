// Table tests of the control-port filter: the default profile's decisions, rewrites, and invalid profiles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { filterControlLine, rewriteResponse, parseProfile, FILTERED_REPLY } from './index.js';

const profile = parseProfile(JSON.parse(readFileSync(new URL('../../gateway-profiles/default.json', import.meta.url), 'utf8')), 'default.json');

test('default profile: allowed lines are forwarded (normalised), the rest get 510', () => {
  const forwarded: [string, string][] = [
    ['SIGNAL NEWNYM', 'SIGNAL NEWNYM'],
    ['signal NEWNYM\r', 'SIGNAL NEWNYM'],
    ['GETINFO status/circuit-established', 'GETINFO status/circuit-established'],
    ['GETINFO version', 'GETINFO version'],
    ['GETINFO   net/listeners/socks  ', 'GETINFO net/listeners/socks'],
    ['GETINFO consensus/valid-after', 'GETINFO consensus/valid-after'],
    ['GETINFO consensus/valid-until', 'GETINFO consensus/valid-until'],
    ['GETINFO consensus/fresh-until', 'GETINFO consensus/fresh-until'],
  ];
  for (const [line, fwd] of forwarded) {
    const d = filterControlLine(profile, line);
    assert.ok('forward' in d, line);
    assert.equal(d.forward, fwd);
  }
  const filtered = [
    'GETINFO address',
    'GETINFO version address',
    'GETINFO versionx',
    'GETINFO',
    'SIGNAL HUP',
    'SIGNAL NEWNYM extra',
    'SIGNAL SHUTDOWN',
    'SETCONF SocksPort=0.0.0.0:9050',
    'GETCONF SocksPort',
    'RESETCONF',
    'ADD_ONION NEW:BEST Port=80',
    'DEL_ONION abc',
    'MAPADDRESS 1.2.3.4=example.com',
    'LOADCONF',
    '+LOADCONF',
    'SAVECONF',
    'TAKEOWNERSHIP',
    'DROPGUARDS',
    'EXTENDCIRCUIT 0',
    'ATTACHSTREAM 1 2',
    'SETEVENTS CIRC',
    'SETEVENTS SIGNAL STREAM',
    'GETINFO circuit-status',
    'GETINFO ns/all',
    'GETINFO net/listeners/control',
    'GETINFO version\x00',
    'GETINFO version\rGETINFO address',
    'x'.repeat(20000),
    '!!!',
    'GETINFO version\x1b[0m',
  ];
  for (const line of filtered) assert.deepEqual(filterControlLine(profile, line), { reply: FILTERED_REPLY }, JSON.stringify(line).slice(0, 60));
});

test('the filter answers authentication, PROTOCOLINFO, QUIT and suppressed SETEVENTS itself', () => {
  assert.deepEqual(filterControlLine(profile, 'AUTHENTICATE'), { reply: '250 OK' });
  assert.deepEqual(filterControlLine(profile, 'AUTHENTICATE "any password"'), { reply: '250 OK' });
  assert.deepEqual(filterControlLine(profile, 'PROTOCOLINFO 1', { torVersion: '0.4.9.11' }), {
    reply: '250-PROTOCOLINFO 1\r\n250-AUTH METHODS=NULL\r\n250-VERSION Tor="0.4.9.11"\r\n250 OK',
  });
  assert.deepEqual(filterControlLine(profile, 'PROTOCOLINFO', { torVersion: 'x"\r\n250 OK' }), {
    reply: '250-PROTOCOLINFO 1\r\n250-AUTH METHODS=NULL\r\n250 OK',
  });
  assert.deepEqual(filterControlLine(profile, 'QUIT'), { reply: '250 closing connection', close: true });
  assert.deepEqual(filterControlLine(profile, 'SETEVENTS SIGNAL conf_changed STATUS_SERVER'), { reply: '250 OK' });
  assert.deepEqual(filterControlLine(profile, 'SETEVENTS'), { reply: '250 OK' });
  assert.deepEqual(filterControlLine(profile, ''), { ignore: true });
  assert.deepEqual(filterControlLine(profile, '  \r'), { ignore: true });
});

test('net/listeners/socks is rewritten to the workstation-facing address; other answers pass unchanged', () => {
  const tor = '250-net/listeners/socks="10.152.152.10:20050" "10.152.152.10:20100" "10.152.152.10:20150"\r\n250 OK\r\n';
  assert.equal(
    rewriteResponse(profile, 'GETINFO net/listeners/socks', tor, { 'socks-address': '10.152.152.10:9150' }),
    '250-net/listeners/socks="10.152.152.10:9150"\r\n250 OK\r\n',
  );
  const v = '250-version=0.4.9.11\r\n250 OK\r\n';
  assert.equal(rewriteResponse(profile, 'GETINFO version', v, { 'socks-address': 'x' }), v);
  const err = '552 Unrecognized key "net/listeners/socks"\r\n';
  assert.equal(rewriteResponse(profile, 'GETINFO net/listeners/socks', err, { 'socks-address': 'x' }), err);
});

test('regex groups in replacements', () => {
  const p = parseProfile({
    name: 'groups',
    commands: { GETINFO: [{ pattern: 'version', response: [{ pattern: '250-version=(\\S+) \\((.*)\\)', replacement: '250-version={0}' }] }] },
  });
  assert.equal(rewriteResponse(p, 'GETINFO version', '250-version=0.4.9.11 (git-abc)\r\n250 OK\r\n'), '250-version=0.4.9.11\r\n250 OK\r\n');
});

test('invalid profiles are refused naming the file and field', () => {
  const cases: [unknown, RegExp][] = [
    [{ commands: {} }, /^p\.json: name: Required/],
    [{ name: 'x', commands: { getinfo: ['version'] } }, /^p\.json: commands\.getinfo/],
    [{ name: 'x', commands: { AUTHENTICATE: [''] } }, /^p\.json: commands\.AUTHENTICATE: is answered by the filter/],
    [{ name: 'x', commands: { SETEVENTS: ['CIRC'] } }, /^p\.json: commands\.SETEVENTS/],
    [{ name: 'x', commands: { GETINFO: ['(unclosed'] } }, /^p\.json: commands\.GETINFO\[0\]\.pattern: invalid regular expression/],
    [
      { name: 'x', commands: { GETINFO: [{ pattern: 'v', response: [{ pattern: '.*', replacement: '{evil}' }] }] } },
      /response\[0\]\.replacement: unknown variable \{evil\}/,
    ],
    [
      { name: 'x', commands: { GETINFO: [{ pattern: 'v', response: [{ pattern: '.*', replacement: 'a\r\n250 OK' }] }] } },
      /replacement: must not contain control/,
    ],
    [{ name: 'x', commands: {}, events: { CIRC: { suppress: false } } }, /^p\.json: events\.CIRC\.suppress/],
    [{ name: 'x', commands: {}, extra: 1 }, /^p\.json: \(top\)|Unrecognized key/],
  ];
  for (const [u, re] of cases)
    assert.throws(
      () => parseProfile(u, 'p.json'),
      (e: Error) => re.test(e.message),
      re.source,
    );
});
