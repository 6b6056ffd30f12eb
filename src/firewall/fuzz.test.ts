// Fuzzes the parser and compiler: random rule strings never crash (only FirewallRuleError), and the
// nft text compiled from random valid rule sets is accepted by the real `nft -c` (run as root, in a
// throwaway network namespace).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { run } from '../exec/index.js';
import {
  compileBaseTable,
  compileQubeAttach,
  compileQubeBlocked,
  compileQubeDetach,
  FirewallRuleError,
  formatRule,
  hostnamesOf,
  parseRule,
  type FirewallRule,
  type QubeFirewallTarget,
} from './index.js';
import { prng } from '../../test/support/prng.js';

const SEED = Number(process.env.BULKHEAD_FUZZ_SEED ?? randomBytes(4).readUInt32LE(0));
const rnd = prng(SEED);
const int = (n: number) => Math.floor(rnd() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
const chance = (p: number) => rnd() < p;

const JUNK = [
  '',
  ' ',
  '=',
  '==',
  '/',
  '-',
  '+',
  ':',
  '::',
  '.',
  ';',
  '"',
  "'",
  '\\',
  '\n',
  '\t',
  '\0',
  '#',
  '{',
  '}',
  '$',
  '%',
  'é',
  '𝕏',
  'comment=',
  'action=',
  '0',
  '65536',
  '-1',
  '999999999999999',
];
const HOSTS = [
  '10.0.0.1',
  '10.0.0.0/8',
  '192.168.1.7/24',
  '0.0.0.0/0',
  '::1',
  '::',
  '2001:db8::/32',
  'fe80::1:2/64',
  '::ffff:1.2.3.4',
  '2001:db8:1:2:3:4:5:6/128',
  'web.lab.test',
  'a.lab',
  'x-y_z.lab.test',
  '1.2.3.4/32',
];
const NAMES = ['web.lab.test', 'a.lab', 'x-y_z.lab.test'];

function mutate(s: string): string {
  switch (int(5)) {
    case 0:
      return s.slice(0, int(s.length + 1));
    case 1: {
      const i = int(s.length + 1);
      return s.slice(0, i) + pick(JUNK) + s.slice(i);
    }
    case 2:
      return s + s;
    case 3:
      return s.toUpperCase();
    default:
      return String.fromCharCode(...Array.from({ length: 1 + int(8) }, () => 32 + int(95)));
  }
}

/** A rule string built from plausible pieces; mostly valid unless `wild`. */
function ruleString(wild: boolean): string {
  const parts: string[] = [];
  if (!chance(0.05)) parts.push(`action=${pick(['accept', 'drop'])}`);
  const special = chance(0.15);
  const proto = chance(0.6) ? pick(['tcp', 'udp', 'icmp'] as const) : undefined;
  if (special && !chance(0.1)) {
    parts.push('specialtarget=dns');
    if (proto && proto !== 'icmp') parts.push(`proto=${proto}`);
    if (proto && proto !== 'icmp' && chance(0.3)) parts.push('dstports=53');
  } else {
    if (chance(0.6)) parts.push(`${pick(['dsthost', 'dsthost', 'dsthost', 'dst4', 'dst6', 'dstname'])}=${pick(HOSTS)}`);
    if (proto) parts.push(`proto=${proto}`);
    if ((proto === 'tcp' || proto === 'udp') && chance(0.6)) {
      const a = 1 + int(65535);
      parts.push(chance(0.5) ? `dstports=${a}` : `dstports=${a}-${a + int(65536 - a)}`);
    }
    if (proto === 'icmp' && chance(0.6)) parts.push(`icmptype=${int(256)}`);
  }
  if (chance(0.15)) parts.push(`expire=${chance(0.5) ? `+${1 + int(100000)}` : 1_000_000 + int(2_000_000_000)}`);
  for (let i = parts.length - 1; i > 0; i--) {
    const j = int(i + 1);
    [parts[i], parts[j]] = [parts[j] as string, parts[i] as string];
  }
  if (chance(0.2)) parts.push(`comment=${pick(['x', 'two words', 'a:b;c,d./-_[]', 'trailing '])}`);
  if (wild) {
    for (let k = 1 + int(3); k > 0; k--) {
      const i = int(parts.length + 1);
      if (chance(0.5) && parts.length > 0) parts[int(parts.length)] = mutate(parts[int(parts.length)] as string);
      else parts.splice(i, 0, chance(0.5) ? pick(JUNK) : `${mutate(pick(['action', 'proto', 'dsthost', 'x']))}=${mutate(pick(HOSTS))}`);
    }
  }
  return parts.join(chance(0.9) ? ' ' : pick(['  ', '\t', ' \t ']));
}

const NOW = 1_500_000_000;
const ns = `${process.env.BULKHEAD_TEST_RUN ?? 'bht' + randomBytes(3).toString('hex')}-fwfuzz`;
let nsCreated = false;
after(async () => {
  if (nsCreated) await run('ip', ['netns', 'del', ns], { allowFail: true });
});

test(`random rule strings never crash the parser (seed ${SEED})`, () => {
  let valid = 0;
  for (let i = 0; i < 20000; i++) {
    const s = ruleString(chance(0.7));
    let rule: FirewallRule;
    try {
      rule = parseRule(s, { now: NOW });
    } catch (e) {
      assert.ok(e instanceof FirewallRuleError, `seed ${SEED}: ${JSON.stringify(s)} threw ${String(e)}`);
      assert.ok(e.field.length > 0 && e.reason.length > 0);
      continue;
    }
    valid++;
    // the canonical text round-trips
    const text = formatRule(rule);
    assert.deepEqual(parseRule(text, { now: NOW }), rule, `seed ${SEED}: ${JSON.stringify(s)}`);
  }
  assert.ok(valid > 2000, `only ${valid} valid rules generated (seed ${SEED})`);
});

test(`arbitrary strings (any code units) only ever give FirewallRuleError (seed ${SEED})`, () => {
  for (let i = 0; i < 5000; i++) {
    const len = int(60);
    let str = '';
    for (let j = 0; j < len; j++) str += chance(0.7) ? String.fromCharCode(32 + int(95)) : String.fromCharCode(int(0x10000));
    if (chance(0.5)) str = `action=accept ${str}`;
    try {
      parseRule(str, { now: NOW });
    } catch (e) {
      assert.ok(e instanceof FirewallRuleError, `seed ${SEED}: ${JSON.stringify(str)} threw ${String(e)}`);
    }
  }
});

test(`compiled random valid rule sets pass nft -c (seed ${SEED})`, async () => {
  await run('ip', ['netns', 'add', ns]);
  nsCreated = true;
  const table = 'bhfuzz';
  const SETS = 1200;
  const PER_BATCH = 300;
  const texts: string[] = [];
  for (let q = 0; q < SETS; q++) {
    const rules: FirewallRule[] = [];
    const want = 1 + int(8);
    while (rules.length < want) {
      try {
        rules.push(parseRule(ruleString(chance(0.2)), { now: NOW }));
      } catch {
        /* only valid ones */
      }
    }
    const resolved = new Map<string, string[]>();
    for (const n of hostnamesOf(rules)) {
      resolved.set(n, pick([[], ['192.0.2.1'], ['192.0.2.1', '2001:db8::5'], ['2001:db8::5', '2001:db8::6', '198.51.100.0']]));
    }
    const t: QubeFirewallTarget = {
      qubeName: `q${q}${pick(['', '.a', '-b_c'])}`,
      qubeIPv4: `10.137.${q >> 8}.${q & 255}`,
      qubeIPv6: chance(0.5) ? `fd09:24ef:4179::a89:${q.toString(16)}` : null,
      ifname: `vif${q}`,
      dnsServers: { virtual: pick([['10.139.1.1', '10.139.1.2'], ['10.139.1.1', 'fd09:24ef:4179::a8b:1'], []]) },
      resolved,
    };
    let text = compileQubeAttach(t, rules, { now: NOW, table });
    if (chance(0.05)) text += compileQubeBlocked(t.qubeName, { table });
    if (chance(0.05)) text += compileQubeDetach(t, { table });
    texts.push(text);
  }
  const started = Date.now();
  for (let i = 0; i < SETS; i += PER_BATCH) {
    const batch =
      compileBaseTable({ table, dnsServers: { virtual: ['10.139.1.1', '10.139.1.2', 'fd09:24ef:4179::a8b:1'] } }) + texts.slice(i, i + PER_BATCH).join('');
    const res = await run('ip', ['netns', 'exec', ns, 'nft', '-c', '-f', '-'], { input: batch, allowFail: true, timeoutMs: 20_000 });
    assert.equal(res.code, 0, `seed ${SEED}: nft -c rejected compiled text:\n${res.stderr.slice(0, 2000)}`);
  }
  assert.ok(Date.now() - started < 10_000, 'nft -c batches took too long');
});

test('nft -c does reject broken text (the check can fail)', async () => {
  if (!nsCreated) {
    await run('ip', ['netns', 'add', ns]);
    nsCreated = true;
  }
  const res = await run('ip', ['netns', 'exec', ns, 'nft', '-c', '-f', '-'], {
    input: compileBaseTable({ table: 'bhfuzz' }) + 'add rule inet bhfuzz qube-none accept\n',
    allowFail: true,
  });
  assert.notEqual(res.code, 0);
});
