// The dashboard's Host/Origin checks: a table of requests that pass and that are refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkOrigin, isChange } from './guard.js';

const P = 8123;
const ok = { method: 'GET', host: '127.0.0.1:8123', origin: undefined, fetchSite: undefined };

describe('dashboard origin checks', () => {
  it('the page’s own requests pass', () => {
    assert.equal(checkOrigin(ok, P), null);
    assert.equal(checkOrigin({ ...ok, host: 'localhost:8123' }, P), null);
    assert.equal(checkOrigin({ ...ok, method: 'POST', origin: 'http://127.0.0.1:8123', fetchSite: 'same-origin' }, P), null);
    assert.equal(checkOrigin({ ...ok, fetchSite: 'none' }, P), null);
  });
  const refused: [string, Partial<typeof ok> & { origin?: string; fetchSite?: string }][] = [
    ['a rebound name', { host: 'evil.example:8123' }],
    ['another port', { host: '127.0.0.1:8124' }],
    ['no host', { host: undefined }],
    ['a foreign origin', { origin: 'http://evil.example' }],
    ['the null origin', { origin: 'null' }],
    ['an origin on another port', { origin: 'http://127.0.0.1:9999' }],
    ['a change without origin', { method: 'POST' }],
    ['a delete without origin', { method: 'DELETE' }],
    ['a cross-site fetch', { fetchSite: 'cross-site' }],
    ['a same-site fetch', { fetchSite: 'same-site' }],
  ];
  for (const [why, f] of refused) it(`refuses ${why}`, () => assert.equal(checkOrigin({ ...ok, ...f }, P)?.status, 403));
  it('knows which methods change', () => {
    assert.deepEqual(['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'DELETE', 'PATCH'].map(isChange), [false, false, false, true, true, true, true]);
  });
});
