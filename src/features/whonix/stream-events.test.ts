// Table tests of the STREAM event parser and the circuit lookups built on it (lines as tor 0.4.9 writes them).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { circuitsOf, parseKeyValues, parseStreamEvent, streamEventsOf, succeeded } from './stream-events.js';

const ISO = 'ISO_FIELDS=SOCKS_USERNAME,SOCKS_PASSWORD,CLIENTADDR,SESSION_GROUP,NYM_EPOCH';
const LINES = [
  `STREAM 156 NEW 0 web.lab.test:80 SOURCE_ADDR=10.152.152.11:49028 PURPOSE=USER SOCKS_USERNAME="a" SOCKS_PASSWORD="x" CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=0 SESSION_GROUP=-70 ${ISO}`,
  `STREAM 156 SENTCONNECT 5 web.lab.test:80 SOCKS_USERNAME="a" SOCKS_PASSWORD="x" CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=0 SESSION_GROUP=-70 ${ISO}`,
  `STREAM 156 SUCCEEDED 5 192.0.2.10:80 SOCKS_USERNAME="a" SOCKS_PASSWORD="x" CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=0 SESSION_GROUP=-70 ${ISO}`,
  `STREAM 157 SENTCONNECT 19 web.lab.test:80 SOCKS_USERNAME="b" SOCKS_PASSWORD="x" CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=0 SESSION_GROUP=-70 ${ISO}`,
  `STREAM 157 CLOSED 19 192.0.2.10:80 REASON=DONE SOCKS_USERNAME="b" CLIENT_PROTOCOL=SOCKS5 SESSION_GROUP=-70`,
  'STREAM 160 NEW 0 192.0.2.10:80 SOURCE_ADDR=10.152.152.11:55982 PURPOSE=USER CLIENT_PROTOCOL=TRANS NYM_EPOCH=0 SESSION_GROUP=-139',
  'STREAM 160 SUCCEEDED 7 192.0.2.10:80 CLIENT_PROTOCOL=TRANS NYM_EPOCH=0 SESSION_GROUP=-139',
  'STREAM 158 NEWRESOLVE 0 web.lab.test:0 SOURCE_ADDR=10.152.152.11:32903 PURPOSE=DNS_REQUEST CLIENT_PROTOCOL=DNS SESSION_GROUP=-137',
  'STREAM 158 SENTRESOLVE 21 web.lab.test:0 CLIENT_PROTOCOL=DNS SESSION_GROUP=-137',
];

describe('stream events', () => {
  it('parses id, status, circuit, target and extended fields', () => {
    const e = parseStreamEvent(LINES[0] as string);
    assert.deepEqual(e && { id: e.id, status: e.status, circuit: e.circuit, target: e.target }, {
      id: 156,
      status: 'NEW',
      circuit: 0,
      target: 'web.lab.test:80',
    });
    assert.equal(e?.fields['SOCKS_USERNAME'], 'a');
    assert.equal(e?.fields['SESSION_GROUP'], '-70');
    assert.equal(e?.fields['SOURCE_ADDR'], '10.152.152.11:49028');
  });

  it('rejects other events and malformed lines', () => {
    for (const bad of ['CIRC 5 BUILT', 'STREAM x NEW 0 a:1', 'STREAM 1 NEW', 'STREAM 1 new 0 a:1', '']) assert.equal(parseStreamEvent(bad), null, bad);
  });

  it('unquotes escaped values', () => {
    assert.deepEqual(parseKeyValues('A="x \\"y\\" z" B=plain C=""'), { A: 'x "y" z', B: 'plain', C: '' });
  });

  it('finds the circuits that carried each SOCKS username, only once attached', () => {
    const ev = streamEventsOf({ status: 650, lines: LINES.map((text) => ({ text })) });
    assert.equal(ev.length, LINES.length);
    assert.deepEqual([...circuitsOf(ev, (e) => e.fields['SOCKS_USERNAME'] === 'a')], [5]);
    assert.deepEqual([...circuitsOf(ev, (e) => e.fields['SOCKS_USERNAME'] === 'b')], [19]);
    assert.deepEqual([...circuitsOf(ev, (e) => e.fields['CLIENT_PROTOCOL'] === 'DNS')], [21]);
    assert.deepEqual([...circuitsOf(ev, (e) => e.fields['SOCKS_USERNAME'] === 'nobody')], []);
  });

  it('lists succeeded streams by protocol and target', () => {
    const ev = LINES.map((l) => parseStreamEvent(l)).filter((e) => e !== null);
    assert.deepEqual(
      succeeded(ev, 'TRANS', /^192\.0\.2\.10:80$/).map((e) => e.id),
      [160],
    );
    assert.deepEqual(
      succeeded(ev, 'SOCKS5').map((e) => e.id),
      [156],
    );
    assert.deepEqual(succeeded(ev, 'TRANS', /onion/), []);
  });
});
