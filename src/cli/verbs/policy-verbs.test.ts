// Tests of the `policy eval` and `policy lint` verb implementations against real files.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { policyEval } from './policy-eval.js';
import { policyLint } from './policy-lint.js';
import { QUBES_POLICY, QUBES_POLICY_SKIP } from '../../../test/support/qubes-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'bh-policy-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const FIX = QUBES_POLICY;
const sys = join(dir, 'system.json');
writeFileSync(
  sys,
  JSON.stringify({
    qubes: {
      work: { class: 'app', running: true, default_dispvm: 'dvm' },
      personal: { class: 'app' },
      dvm: { class: 'app', template_for_dispvms: true },
      anon: { class: 'app', tags: ['anon-vm'], running: true },
    },
  }),
);

test('eval prints the decision as JSON with the deciding rule', { skip: QUBES_POLICY_SKIP }, () => {
  const r = policyEval({ policyDir: [FIX], system: sys, source: 'work', target: 'personal', service: 'qubes.Filecopy', json: true });
  const d = JSON.parse(r.stdout);
  assert.equal(d.result, 'ask');
  assert.deepEqual(d.candidates, ['@dispvm:dvm', 'anon', 'dvm', 'personal']);
  assert.equal(d.rule, `${FIX}/90-default.policy:31`);
  assert.equal(r.exitCode, 3);
  const open = JSON.parse(policyEval({ policyDir: [FIX], system: sys, source: 'work', target: '@dispvm', service: 'qubes.OpenInVM', json: true }).stdout);
  assert.deepEqual([open.result, open.target], ['allow', '@dispvm:dvm']);
  const date = policyEval({ policyDir: [FIX], system: sys, source: 'anon', target: '@default', service: 'qubes.GetDate+', json: false });
  assert.match(date.stdout, /^result: deny/);
  assert.equal(date.exitCode, 1);
});

test('eval names the bad field of the system file', () => {
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ qubes: { work: { class: 'vm', running: 'yes', extra: 1 } } }));
  const r = policyEval({ policyDir: [FIX], system: bad, source: 'work', target: 'x', service: 's', json: true });
  assert.equal(r.exitCode, 2);
  assert.match(r.stdout, /qubes\.work\.class/);
  assert.match(r.stdout, /qubes\.work\.running/);
  assert.match(r.stdout, /qubes\.work: Unrecognized key/);
});

test('lint: Qubes files clean', { skip: QUBES_POLICY_SKIP }, () => {
  assert.equal(policyLint([FIX]).exitCode, 0);
});

test('lint: a broken file lists every error with file:line and eval denies', () => {
  const broken = join(dir, 'p');
  mkdirSync(broken);
  writeFileSync(join(broken, '10-a.policy'), '* * @anyvm @anyvm allow\nqubes.X * @anyvm\nqubes.Y * @anyvm @anyvm allow notify=maybe\n');
  const r = policyLint([broken]);
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /10-a\.policy:2: wrong number of fields/);
  assert.match(r.stderr, /10-a\.policy:3: 'notify' is 'maybe'/);
  const e = JSON.parse(policyEval({ policyDir: [broken], system: sys, source: 'work', target: 'personal', service: 's', json: true }).stdout);
  assert.equal(e.result, 'deny');
  assert.equal(e.errors.length, 2);
});
