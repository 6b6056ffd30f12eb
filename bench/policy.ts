// Benchmark: policy decisions per second with 1000 rules (target >= 200k/s); writes bench/results/policy.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { evaluate, parsePolicyText } from '../src/policy/index.js';
import type { PolicyRequest, SystemQube, SystemSnapshot } from '../src/policy/index.js';

const QUBES = 60;
const qubes: Record<string, SystemQube> = {};
for (let i = 0; i < QUBES; i++) {
  qubes[`vm${i}`] = {
    class: i % 10 === 0 ? 'template' : 'app',
    tags: [`t${i % 7}`, ...(i % 5 === 0 ? ['anon-vm'] : [])],
    running: i % 2 === 0,
    default_dispvm: 'dvm',
    template_for_dispvms: false,
    internal: false,
    uuid: null,
  };
}
qubes.dvm = { class: 'app', tags: [], running: false, default_dispvm: 'dvm', template_for_dispvms: true, internal: false, uuid: null };
const system: SystemSnapshot = { qubes };

// 1000 rules over 100 services: specific pairs, tags, types, dispvm; the last rule asks, so many
// decisions build a full ask candidate list (the slowest path).
const lines: string[] = [];
for (let i = 0; lines.length < 989; i++) {
  const svc = `svc.S${i % 100}`;
  switch (i % 5) {
    case 0:
      lines.push(`${svc} +arg${i % 3} vm${i % QUBES} vm${(i * 7) % QUBES} allow`);
      break;
    case 1:
      lines.push(`${svc} * @tag:t${i % 7} @tag:t${(i + 3) % 7} deny`);
      break;
    case 2:
      lines.push(`${svc} * @type:TemplateVM @default allow target=vm${i % QUBES}`);
      break;
    case 3:
      lines.push(`${svc} * @anyvm @dispvm allow`);
      break;
    default:
      lines.push(`${svc} * vm${i % QUBES} @anyvm ask`);
  }
}
for (let i = 0; i < 10; i++) lines.push(`* * @tag:anon-vm vm${i} deny`);
lines.push('* * @anyvm @anyvm ask');
const load = parsePolicyText(lines.slice(0, 1000).join('\n'), 'bench.policy');
if (!load.ok) throw new Error(JSON.stringify(load.errors.slice(0, 3)));
const rules = load.policy.rules.length;

const requests: PolicyRequest[] = [];
for (let i = 0; i < 4096; i++) {
  const targets = [`vm${(i * 13) % QUBES}`, '@default', '@dispvm', `vm${(i * 7) % QUBES}`];
  requests.push({
    source: `vm${(i * 31) % QUBES}`,
    target: targets[i % targets.length]!,
    service: `svc.S${(i * 17) % 110}`,
    argument: `+arg${i % 4}`,
  });
}

function run(n: number): Record<string, number> {
  const counts: Record<string, number> = { allow: 0, deny: 0, ask: 0 };
  for (let i = 0; i < n; i++) counts[evaluate(load, system, requests[i & 4095]!).result]!++;
  return counts;
}

run(50_000); // warm-up
const N = 1_000_000;
const t0 = process.hrtime.bigint();
const counts = run(N);
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
const perSecond = Math.round(N / secs);
// Cold: a new snapshot object every 100 decisions (as after a qube starts or stops), so the prepared
// system view and every remembered candidate list are rebuilt.
function runCold(n: number): void {
  let snap: SystemSnapshot = { qubes };
  for (let i = 0; i < n; i++) {
    if (i % 100 === 0) snap = { qubes: { ...qubes } };
    evaluate(load, snap, requests[i & 4095]!);
  }
}
runCold(10_000);
const NC = 100_000;
const t1 = process.hrtime.bigint();
runCold(NC);
const coldPerSecond = Math.round(NC / (Number(process.hrtime.bigint() - t1) / 1e9));

const result = {
  benchmark: 'policy decisions per second',
  rules,
  qubes: QUBES + 2,
  decisions: N,
  seconds: Number(secs.toFixed(3)),
  decisions_per_second: perSecond,
  cold_decisions_per_second: coldPerSecond,
  target_per_second: 200_000,
  meets_target: perSecond >= 200_000,
  results: counts,
  node: process.version,
  date: new Date().toISOString(),
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/policy.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result));
