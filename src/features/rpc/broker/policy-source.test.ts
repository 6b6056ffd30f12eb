// Unit tests of the live policy: policy.d only, a bad file keeps the last good policy, a missing or locked directory denies, seeding happens once.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { openDatabase, StateStore } from '../../../state/index.js';
import { policyDirProblem, policyDirs, PolicySource, seedPolicyDir, SHIPPED_POLICY_DIR } from './policy-source.js';

const quiet = pino({ level: 'silent' });

function home(): { home: string; pol: string; done: () => void } {
  const h = mkdtempSync(join(tmpdir(), 'bh-polsrc-'));
  const pol = join(h, 'policy.d');
  return {
    home: h,
    pol,
    done: () => {
      chmodSync(h, 0o700);
      rmSync(h, { recursive: true, force: true });
    },
  };
}

test('the daemon reads policy.d only, never the shipped directory', () => {
  const { home: h, done } = home();
  try {
    assert.deepEqual(policyDirs(h), [join(h, 'policy.d')]);
    const src = new PolicySource(h, quiet);
    assert.equal(src.reload().ok, false);
    assert.match(src.denial()!, /policy\.d: the policy directory is missing \(every call is denied\)/);
  } finally {
    done();
  }
});

test('a bad file keeps the last good policy; a missing, locked or world-writable directory denies every call', () => {
  const { home: h, pol, done } = home();
  try {
    mkdirSync(pol, { mode: 0o755 });
    writeFileSync(join(pol, '30-a.policy'), 'bulkhead.Echo * @anyvm @anyvm allow\n');
    const src = new PolicySource(h, quiet);
    src.reload();
    assert.deepEqual(src.status(), { state: 'loaded', rules: 1, errors: [] });
    writeFileSync(join(pol, '10-bad.policy'), 'bulkhead.Echo * @anyvm @anyvm allow bogus=1\n');
    src.reload();
    const s = src.status();
    assert.equal(s.state, 'last-good');
    assert.equal(s.rules, 1);
    assert.match(`${s.errors[0]!.file}:${s.errors[0]!.line}`, /10-bad\.policy:1$/);
    assert.equal(src.get().ok, true);
    assert.equal(src.denial(), null);
    rmSync(join(pol, '10-bad.policy'));
    src.reload();
    assert.equal(src.status().state, 'loaded');

    const away = join(h, 'policy.away');
    renameSync(pol, away);
    src.reload();
    assert.equal(src.status().state, 'denying', 'a removed policy.d is not replaced by the last good policy');
    assert.match(src.denial()!, /missing/);
    renameSync(away, pol);
    src.reload();
    assert.equal(src.status().state, 'loaded');

    chmodSync(pol, 0o000);
    src.reload();
    assert.equal(src.status().state, 'denying');
    assert.match(src.denial()!, /unreadable \(mode 0000\)/);
    chmodSync(pol, 0o777);
    assert.match(policyDirProblem(pol)!, /writable by every user/);
    chmodSync(pol, 0o755);
    assert.equal(policyDirProblem(pol), null);
    src.reload();
    assert.equal(src.status().state, 'loaded');

    // A restart with a bad file has no last good policy: it denies.
    writeFileSync(join(pol, '10-bad.policy'), 'nonsense\n');
    const fresh = new PolicySource(h, quiet);
    fresh.reload();
    assert.equal(fresh.status().state, 'denying');
    assert.match(fresh.denial()!, /10-bad\.policy:1/);

    writeFileSync(join(h, 'file'), '');
    assert.match(policyDirProblem(join(h, 'file'))!, /not a directory/);
  } finally {
    done();
  }
});

test('policy.d is made from the shipped policy once per state directory, never again after it is removed', async () => {
  const { home: h, pol, done } = home();
  const db = await openDatabase(join(h, 'state.db'));
  try {
    const store = new StateStore(db);
    seedPolicyDir(h, store, quiet);
    assert.deepEqual(
      readdirSync(pol).sort(),
      readdirSync(SHIPPED_POLICY_DIR)
        .filter((n) => n.endsWith('.policy'))
        .sort(),
    );
    rmSync(pol, { recursive: true });
    seedPolicyDir(h, store, quiet);
    assert.equal(existsSync(pol), false);
  } finally {
    db.close();
    done();
  }
});

test('an existing policy.d is left as it is at the first start', async () => {
  const { home: h, pol, done } = home();
  const db = await openDatabase(join(h, 'state.db'));
  try {
    mkdirSync(pol);
    writeFileSync(join(pol, '50-mine.policy'), '');
    seedPolicyDir(h, new StateStore(db), quiet);
    assert.deepEqual(readdirSync(pol), ['50-mine.policy']);
  } finally {
    db.close();
    done();
  }
});
