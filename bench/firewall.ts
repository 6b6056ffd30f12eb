// Benchmark: compile and apply firewall rules for 200 qubes × 5 rules in one netvm namespace
// (target ≤ 150 ms); writes bench/results/firewall.json. Runs as root in a throwaway namespace.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { randomBytes } from 'node:crypto';
import { run } from '../src/exec/index.js';
import { compileQubeAttach, compileQubeChain, parseRule, type FirewallRule, type QubeFirewallTarget } from '../src/firewall/index.js';
import { applyRuleset, checkRuleset, loadFirewallBase, loadRuleset, readCounter } from '../src/net/nft.js';

const QUBES = 200;
const RUNS = 9;
const TARGET_MS = 150;
const TABLE = 'bhbench';
const ns = `${process.env.BULKHEAD_TEST_RUN ?? 'bht' + randomBytes(3).toString('hex')}-fwbench`;
const now = Math.floor(Date.now() / 1000);

function rulesFor(i: number): string[] {
  return [
    'action=accept specialtarget=dns',
    `action=accept dsthost=192.0.${i % 250}.0/24 proto=tcp dstports=80-443`,
    `action=drop dsthost=198.51.100.${i % 250}`,
    'action=accept proto=icmp icmptype=8',
    `action=drop dsthost=2001:db8:${i.toString(16)}::/48 proto=udp dstports=${1000 + i}`,
  ];
}
const targets: QubeFirewallTarget[] = [];
for (let i = 0; i < QUBES; i++) {
  targets.push({
    qubeName: `qube${i}`,
    qubeIPv4: `10.137.${i >> 8}.${i & 255}`,
    qubeIPv6: `fd09:24ef:4179::a89:${i.toString(16)}`,
    ifname: `vif${i}`,
    dnsServers: { virtual: ['10.139.1.1', '10.139.1.2'] },
    resolved: new Map(),
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const round = (x: number) => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  await run('ip', ['netns', 'add', ns]);
  try {
    const parse: number[] = [];
    const compileAttach: number[] = [];
    const checkAttach: number[] = [];
    const loadAttach: number[] = [];
    const compileUpdate: number[] = [];
    const applyUpdate: number[] = [];
    const applyOne: number[] = [];
    let bytes = 0;
    let nftRules = 0;
    for (let r = 0; r < RUNS; r++) {
      await loadFirewallBase(ns, { table: TABLE, dnsServers: targets[0]!.dnsServers });
      let t = process.hrtime.bigint();
      const rules: FirewallRule[][] = targets.map((_, i) => rulesFor(i).map((l) => parseRule(l)));
      parse.push(ms(t));

      t = process.hrtime.bigint();
      const attach = targets.map((tg, i) => compileQubeAttach(tg, rules[i]!, { now, table: TABLE })).join('');
      compileAttach.push(ms(t));
      bytes = attach.length;
      nftRules = attach.split('\n').filter((l) => l.startsWith('add rule')).length;

      // apply = nft -c then nft -f (what applyRuleset does), timed apart
      t = process.hrtime.bigint();
      await checkRuleset(ns, attach);
      checkAttach.push(ms(t));
      t = process.hrtime.bigint();
      await loadRuleset(ns, attach);
      loadAttach.push(ms(t));

      // every qube's rules replaced at once (e.g. the netvm restarts its firewall)
      t = process.hrtime.bigint();
      const update = targets.map((tg, i) => compileQubeChain(tg, [...rules[i]!].reverse(), { now, table: TABLE })).join('');
      compileUpdate.push(ms(t));
      t = process.hrtime.bigint();
      await applyRuleset(ns, update);
      applyUpdate.push(ms(t));

      // one qube's rules replaced (qvm-firewall add)
      const i = r % QUBES;
      t = process.hrtime.bigint();
      await applyRuleset(ns, compileQubeChain(targets[i]!, rules[i]!, { now, table: TABLE }));
      applyOne.push(ms(t));
    }
    const listed = await run('ip', ['netns', 'exec', ns, 'nft', 'list', 'table', 'inet', TABLE]);
    const chains = (listed.stdout.match(/^\tchain qube-/gm) ?? []).length;
    if (chains !== QUBES) throw new Error(`expected ${QUBES} qube chains, found ${chains}`);
    await readCounter(ns, 'rejected', { table: TABLE });

    const total = median(compileAttach) + median(checkAttach) + median(loadAttach);
    const min = (xs: number[]) => round(Math.min(...xs));
    const result = {
      benchmark: 'compile and apply firewall rules, 200 qubes x 5 rules, one netvm namespace',
      qubes: QUBES,
      rules_per_qube: 5,
      nft_rules_loaded: nftRules,
      nft_text_bytes: bytes,
      runs: RUNS,
      median_ms: {
        parse_rules: round(median(parse)),
        compile_attach_all: round(median(compileAttach)),
        check_attach_all: round(median(checkAttach)),
        load_attach_all: round(median(loadAttach)),
        compile_update_all: round(median(compileUpdate)),
        apply_update_all: round(median(applyUpdate)),
        apply_one_qube: round(median(applyOne)),
      },
      fastest_ms: {
        compile_attach_all: min(compileAttach),
        check_attach_all: min(checkAttach),
        load_attach_all: min(loadAttach),
      },
      compile_plus_apply_ms: round(total),
      apply_means: 'ip netns exec nft -c -f - (check) then ip netns exec nft -f - (load, one transaction)',
      machine: { cpus: cpus().length, loadavg_1min_at_end: round(loadavg()[0] ?? 0) },
      target_ms: TARGET_MS,
      meets_target: total <= TARGET_MS,
      node: process.version,
      date: new Date().toISOString(),
    };
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    writeFileSync(new URL('./results/firewall.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } finally {
    await run('ip', ['netns', 'del', ns], { allowFail: true });
  }
}

await main();
