// tor's password hash computed here equals `tor --hash-password` for the same salt; bad passwords are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../exec/index.js';
import { authenticateLine, hashControlPassword, newControlPassword, HASHED_PASSWORD_RE } from './index.js';

test('the hash matches real tor for its own salt (several passwords)', async () => {
  for (const pw of [newControlPassword(), newControlPassword(), 'a', 'x'.repeat(70000)]) {
    // Never a default config: empty torrc files and no network; tor only hashes and exits.
    const r = await run('tor', ['--hash-password', pw, '--defaults-torrc', '/dev/null', '-f', '/dev/null', '--DisableNetwork', '1', '--quiet']);
    const fromTor = r.stdout.trim().split('\n').pop() ?? '';
    assert.match(fromTor, HASHED_PASSWORD_RE);
    const salt = Buffer.from(fromTor.slice(3, 19), 'hex');
    assert.equal(hashControlPassword(pw, salt), fromTor, `password of ${pw.length} chars`);
  }
});

test('a fresh salt each time; the format tor expects; a wrong password hashes differently', () => {
  const pw = newControlPassword();
  assert.match(pw, /^[0-9a-f]{64}$/);
  const a = hashControlPassword(pw);
  const b = hashControlPassword(pw);
  assert.match(a, HASHED_PASSWORD_RE);
  assert.notEqual(a, b);
  const salt = Buffer.alloc(8, 7);
  assert.notEqual(hashControlPassword(pw, salt), hashControlPassword(newControlPassword(), salt));
  assert.throws(() => hashControlPassword(pw, Buffer.alloc(4)), /^Error: salt: must be 8 bytes|salt: must be 8 bytes/);
});

test('AUTHENTICATE carries the password quoted; anything but hex is refused', () => {
  assert.equal(authenticateLine('00ff'.repeat(8)), `AUTHENTICATE "${'00ff'.repeat(8)}"`);
  for (const bad of ['', 'short', 'a"b'.repeat(8), `${'a'.repeat(32)}\r\nSETCONF x`, 'A'.repeat(32)]) {
    assert.throws(() => authenticateLine(bad), /password: must be/);
  }
});
