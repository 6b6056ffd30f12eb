// Dashboard sessions: a login secret works once and only before it expires; sessions expire; the CSRF token must match.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DashboardSessions, SECRET_TTL_MS, SESSION_TTL_MS } from './sessions.js';

describe('dashboard sessions', () => {
  it('a secret opens one session, once', () => {
    const s = new DashboardSessions();
    const secret = s.mintSecret();
    const sess = s.redeem(secret);
    assert.ok(sess);
    assert.equal(s.redeem(secret), null, 'used up');
    assert.equal(s.session(sess.id)?.csrf, sess.csrf);
    assert.notEqual(sess.id, sess.csrf);
  });
  it('unknown and expired secrets open nothing', () => {
    let t = 1_000_000;
    const s = new DashboardSessions(() => t);
    assert.equal(s.redeem('nope'), null);
    assert.equal(s.redeem(''), null);
    const secret = s.mintSecret();
    t += SECRET_TTL_MS;
    assert.equal(s.redeem(secret), null);
  });
  it('a session expires on the server side', () => {
    let t = 0;
    const s = new DashboardSessions(() => t);
    const sess = s.redeem(s.mintSecret());
    assert.ok(sess);
    t += SESSION_TTL_MS - 1;
    assert.ok(s.session(sess.id));
    t += 1;
    assert.equal(s.session(sess.id), null);
    assert.equal(s.session(undefined), null);
  });
  it('the CSRF token must be the session’s own', () => {
    const s = new DashboardSessions();
    const a = s.redeem(s.mintSecret());
    const b = s.redeem(s.mintSecret());
    assert.ok(a && b);
    assert.equal(s.csrfOk(a, a.csrf), true);
    assert.equal(s.csrfOk(a, b.csrf), false);
    assert.equal(s.csrfOk(a, undefined), false);
    assert.equal(s.csrfOk(a, ''), false);
  });
  it('a flood of secrets is bounded and keeps the newest', () => {
    const s = new DashboardSessions();
    const first = s.mintSecret();
    let last = '';
    for (let i = 0; i < 200; i++) last = s.mintSecret();
    assert.equal(s.redeem(first), null);
    assert.ok(s.redeem(last));
  });
});
