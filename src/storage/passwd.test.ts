// Unit tests for adding the qube user to account files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withUser } from './passwd.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
const GROUP = 'root:x:0:\nnogroup:x:65534:\n';

test('adds user, group, shadow and gshadow entries when missing', () => {
  const r = withUser({ passwd: PASSWD, group: GROUP, shadow: 'root:*:1:0:99999:7:::', gshadow: 'root:*::\n' });
  assert.equal(r.changed, true);
  assert.match(r.passwd, /\nuser:x:1000:1000::\/home\/user:\/bin\/bash\n$/);
  assert.match(r.group, /\nuser:x:1000:\n$/);
  assert.match(r.shadow!, /^root:\*:1:0:99999:7:::\nuser:\*:/, 'a missing final newline is added first');
  assert.match(r.gshadow!, /\nuser:!::\n$/);
  assert.ok(r.passwd.startsWith(PASSWD), 'existing lines unchanged');
});

test('leaves files alone when the user exists as expected; no shadow stays absent', () => {
  const once = withUser({ passwd: PASSWD, group: GROUP });
  assert.equal(once.shadow, undefined);
  const twice = withUser({ passwd: once.passwd, group: once.group });
  assert.equal(twice.changed, false);
  assert.equal(twice.passwd, once.passwd);
});

test('refuses conflicting accounts instead of guessing', () => {
  assert.throws(() => withUser({ passwd: PASSWD + 'user:x:1001:1001::/home/user:/bin/sh\n', group: GROUP }), /user has uid 1001/);
  assert.throws(() => withUser({ passwd: PASSWD + 'alice:x:1000:1000::/home/alice:/bin/sh\n', group: GROUP }), /uid 1000 belongs to another user/);
  assert.throws(() => withUser({ passwd: PASSWD, group: GROUP + 'staff:x:1000:\n' }), /gid 1000 belongs to another group/);
  assert.throws(() => withUser({ passwd: PASSWD, group: GROUP + 'user:x:5:\n' }), /user has gid 5/);
});
