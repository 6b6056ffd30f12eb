// Fuzzes the parser with mutated real policy lines: never a crash, and a text that fails to load never allows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { evaluate, parsePolicyText, memFiles } from './index.js';
import type { SystemSnapshot } from './index.js';
import { prng } from '../../test/support/prng.js';
import { QUBES_POLICY, QUBES_POLICY_SKIP } from '../../test/support/qubes-fixtures.js';

// Read only when present: a missing folder skips the test with its reason instead of failing the file.
const LINES = QUBES_POLICY_SKIP ? [] : ['90-default.policy', '80-whonix.policy'].flatMap((f) => readFileSync(`${QUBES_POLICY}/${f}`, 'utf8').split('\n'));
const PIECES = [
  '@anyvm',
  '@adminvm',
  'dom0',
  '@default',
  '@dispvm',
  '@dispvm:',
  '@dispvm:@tag:x',
  '@tag:',
  '@type:AppVM',
  '*',
  '+',
  '+x',
  'allow',
  'deny',
  'ask',
  'target=',
  'target=@dispvm',
  'default_target=dom0',
  'notify=yes',
  'autostart=no',
  'user=root',
  '!include',
  '!include-dir',
  '!include-service',
  '!compat-4.0',
  '#',
  '$anyvm',
  ',',
  '=',
  '\t',
  ' ',
  '\n',
  'uuid:',
  'uuid:1234',
  '\u00a0',
  '\u0000',
  '\r',
  'é',
  '\ud800',
];

function mutate(rand: () => number, line: string): string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
  const words = line.split(/(\s+)/);
  switch (Math.floor(rand() * 6)) {
    case 0:
      words[Math.floor(rand() * words.length)] = pick(PIECES);
      return words.join('');
    case 1:
      words.splice(Math.floor(rand() * words.length), 1);
      return words.join('');
    case 2:
      words.splice(Math.floor(rand() * (words.length + 1)), 0, ' ', pick(PIECES));
      return words.join('');
    case 3: {
      const i = Math.floor(rand() * (line.length + 1));
      return line.slice(0, i) + pick(PIECES) + line.slice(i);
    }
    case 4: {
      const i = Math.floor(rand() * line.length);
      return line.slice(0, i) + line.slice(i + 1);
    }
    default:
      return String.fromCharCode(Math.floor(rand() * 0x250)) + line;
  }
}

const SYS: SystemSnapshot = {
  qubes: {
    a: { class: 'app', tags: ['anon-vm', 'x'], running: true, default_dispvm: 'd', template_for_dispvms: false, internal: false, uuid: '1234' },
    b: { class: 'app', tags: [], running: false, default_dispvm: 'd', template_for_dispvms: false, internal: false, uuid: null },
    d: { class: 'app', tags: ['x'], running: false, default_dispvm: 'd', template_for_dispvms: true, internal: false, uuid: null },
    t: { class: 'template', tags: ['whonix-updatevm'], running: false, default_dispvm: null, template_for_dispvms: false, internal: false, uuid: null },
  },
};
const SERVICES = ['qubes.Filecopy', 'qubes.GetDate', 'qubes.OpenInVM', 'whonix.NewStatus', 'x'];
const TARGETS = ['a', 'b', 'dom0', '@default', '@dispvm', '@dispvm:d', '@adminvm', 'zz', ''];
const FILES = memFiles({ '/p/inc': 'qubes.Filecopy * @anyvm @anyvm allow\n', '/p/old': '$anyvm $anyvm allow\n', '/p/d/1.policy': '* * @anyvm @anyvm allow\n' });

test('20k mutated policy texts: only typed errors, and a failed load never allows', { skip: QUBES_POLICY_SKIP }, () => {
  const rand = prng(0x5eed);
  const started = Date.now();
  let failed = 0;
  for (let i = 0; i < 20000; i++) {
    const lines: string[] = [];
    const n = 1 + Math.floor(rand() * 6);
    for (let k = 0; k < n; k++) lines.push(LINES[Math.floor(rand() * LINES.length)]!);
    const j = Math.floor(rand() * n);
    lines[j] = mutate(rand, lines[j]!);
    // a permissive line after the broken one, so a parser that skipped errors would allow
    lines.push('* * @anyvm @anyvm allow');
    const text = lines.join('\n');
    const load = parsePolicyText(text, '/p/fuzz.policy', FILES);
    if (!load.ok) {
      failed++;
      for (const e of load.errors) {
        assert.equal(typeof e.message, 'string');
        assert.ok(e.line >= 1 && typeof e.file === 'string', JSON.stringify(e));
      }
    }
    for (let r = 0; r < 3; r++) {
      const req = {
        source: rand() < 0.5 ? 'a' : 'b',
        target: TARGETS[Math.floor(rand() * TARGETS.length)]!,
        service: SERVICES[Math.floor(rand() * SERVICES.length)]!,
        argument: '+',
      };
      const d = evaluate(load, SYS, req);
      if (!load.ok) assert.equal(d.result, 'deny', `allowed by a policy that failed to load:\n${text}`);
    }
  }
  assert.ok(failed > 2000, `only ${failed} mutated texts failed to load; the fuzzer is too gentle`);
  assert.ok(Date.now() - started < 30000);
});
