// Acceptance: kill -9 the daemon at random moments during random create/start/write/stop/kill/remove; afterwards the state is consistent and every private volume intact.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, type CliResult } from './helpers/daemon.js';
import { withPrivateTree } from './helpers/private-volume.js';
import { coreDaemon, crunList, lsJson, mountsWith, type CoreDaemon } from './core-fixture.js';
import { prng } from '../support/prng.js';

const LOOP_MS = Number(process.env.BULKHEAD_CRASH_MS ?? 80_000);
const SEED = Number(process.env.BULKHEAD_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const NAMES = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'];
/** Coverage the loop must reach: kills of the daemon and operations that succeeded. */
const MIN_KILLS = 20;
const MIN_OPS_OK = 20;
const MARKER = 'marker';
/** In a qube's set of possible markers: no marker at all (a fresh private volume, before any write that is known to have happened). */
const ABSENT = 'absent';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('core crash: kill -9 of the daemon during random operations', { timeout: 2 * LOOP_MS + 160_000 }, () => {
  let d: CoreDaemon;
  const rand = prng(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  /**
   * For each qube: the marker contents (sha256) its private volume may hold; several while a write's outcome is unknown.
   * ABSENT among them: no marker (the qube was created, or may have been by a create whose answer was lost, and no write since is known to have landed).
   */
  const expected = new Map<string, Set<string>>();
  /** Names the loop believes exist (from the last answers); only steers the choice of operations. */
  const believed = new Set<string>();
  const stats = {
    ops: 0,
    opsOk: 0,
    opsFailed: 0,
    kills: 0,
    restarts: 0,
    killedDuringStart: 0,
    writes: 0,
    slowestOpMs: 0,
    byOp: {} as Record<string, number>,
    failures: {} as Record<string, number>,
  };

  function cliAsync(args: string[], input?: Buffer, timeoutMs = 30_000): Promise<CliResult> {
    return new Promise((resolve) => {
      const child = spawn(CLI, args, { env: d.env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
      });
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    });
  }

  /** Set when the daemon answered after its last (re)start; the killer waits for it. */
  let readyAt = 0;
  const killRand = prng(SEED ^ 0x5eed);

  function killDaemon(): boolean {
    const pid = d.daemonPid();
    if (!pid || !alive(pid)) return false;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return false;
    }
    readyAt = 0;
    return true;
  }

  async function ensureDaemon(): Promise<void> {
    for (let i = 0; i < 20; i++) {
      const pid = d.daemonPid();
      if (pid && alive(pid) && existsSync(join(d.home, 'admin', 'admin.sock'))) {
        const v = await d.api('GET', '/version').catch(() => null);
        if (v?.status === 200) {
          if (readyAt === 0) readyAt = Date.now();
          return;
        }
      }
      stats.restarts++;
      // Some restarts are themselves cut short: a kill while the daemon loads and reconciles.
      let midStart: NodeJS.Timeout | undefined;
      if (killRand() < 0.2)
        midStart = setTimeout(
          () => {
            if (killDaemon()) stats.killedDuringStart++;
          },
          100 + killRand() * 1500,
        );
      await cliAsync(['daemon', 'start']);
      clearTimeout(midStart);
      await sleep(20);
    }
    throw new Error('the daemon does not come up again');
  }

  before(async () => {
    d = await coreDaemon('crash');
    process.stdout.write(`# crash test seed ${SEED} (replay with BULKHEAD_CRASH_SEED=${SEED}), loop ${LOOP_MS} ms\n`);
  });

  after(async () => {
    await d?.destroy();
  });

  it('runs the loop, then finds the state consistent and every private volume intact', async () => {
    let stopKiller = false;
    // The killer: once the daemon serves, wait 0.3–2 s (while operations run), then kill -9 it.
    const killer = (async () => {
      while (!stopKiller) {
        if (readyAt === 0) {
          await sleep(20);
          continue;
        }
        await sleep(300 + killRand() * 1700);
        if (stopKiller) break;
        if (killDaemon()) stats.kills++;
      }
    })();

    // The loop runs LOOP_MS, and on a busy machine (operations slower) longer, up to twice that,
    // until it has the coverage asserted below: at least 20 kills and 20 operations that succeeded.
    const deadline = Date.now() + LOOP_MS;
    const hardDeadline = Date.now() + 2 * LOOP_MS;
    const covered = () => stats.kills + stats.killedDuringStart >= MIN_KILLS && stats.opsOk >= MIN_OPS_OK;
    while (Date.now() < deadline || (!covered() && Date.now() < hardDeadline)) {
      await ensureDaemon().catch(() => undefined);
      const op = pick(['create', 'start', 'write', 'write', 'stop', 'kill', 'remove'] as const);
      // Mostly act on qubes believed to exist (create: on ones believed not to), sometimes on any name.
      const pool = NAMES.filter((n) => (op === 'create') !== believed.has(n));
      const name = pool.length > 0 && rand() < 0.85 ? pick(pool) : pick(NAMES);
      stats.ops++;
      stats.byOp[op] = (stats.byOp[op] ?? 0) + 1;
      let r: CliResult;
      const t0 = Date.now();
      if (op === 'create') r = await cliAsync(['create', name, '--template', 'debian-12', '--label', pick(['red', 'blue', 'green'])]);
      else if (op === 'start') r = await cliAsync(['start', name]);
      else if (op === 'stop') r = await cliAsync(['shutdown', '--wait', '--timeout', '10', name]);
      else if (op === 'kill') r = await cliAsync(['kill', name]);
      else if (op === 'remove') r = await cliAsync(['remove', '--force', name]);
      else {
        // Content known in advance; written to a temporary file, checked inside, then renamed: the marker is old or new, never torn.
        const content = Buffer.from(Array.from({ length: 8192 }, () => Math.floor(rand() * 256)));
        const sha = createHash('sha256').update(content).digest('hex');
        const set = expected.get(name) ?? new Set<string>();
        set.add(sha);
        expected.set(name, set);
        stats.writes++;
        r = await cliAsync(
          [
            'run',
            '--user',
            'root',
            name,
            '--',
            'sh',
            '-c',
            `cat > /rw/.${MARKER}.tmp && echo "${sha}  /rw/.${MARKER}.tmp" | sha256sum -c --quiet && mv -f /rw/.${MARKER}.tmp /rw/${MARKER} && sync /rw`,
          ],
          content,
        );
        if (r.code === 0) expected.set(name, new Set([sha]));
      }
      if (r.code === 0 || /already exists/.test(r.stderr)) believed.add(name);
      if ((r.code === 0 && op === 'remove') || /no qube named/.test(r.stderr)) believed.delete(name);
      if (op === 'create' && r.code !== 0 && !/already exist/.test(r.stderr)) {
        // The answer was lost (the daemon was killed): the qube may exist now, with an empty private volume.
        const set = expected.get(name) ?? new Set<string>();
        set.add(ABSENT);
        expected.set(name, set);
      }
      if (r.code === 0) {
        stats.opsOk++;
        if (op === 'remove') expected.delete(name);
        if (op === 'create') expected.set(name, new Set([ABSENT]));
      } else {
        stats.opsFailed++;
        const why = `${op}: ${(r.stderr.trim().split('\n')[0] ?? '')
          .replace(/\bc\d\b/g, 'Q')
          .replace(/\d+/g, 'N')
          .slice(0, 90)}`;
        stats.failures[why] = (stats.failures[why] ?? 0) + 1;
      }
      stats.slowestOpMs = Math.max(stats.slowestOpMs, Date.now() - t0);
    }
    stopKiller = true;
    await killer;

    // A final restart: the daemon reconciles whatever the last kill left.
    const last = d.daemonPid();
    if (killDaemon()) stats.kills++;
    for (let i = 0; i < 100 && last && alive(last); i++) await sleep(20);
    await ensureDaemon();
    await sleep(500);
    process.stdout.write(`# crash test: ${JSON.stringify(stats)}\n`);
    assert.ok(stats.kills + stats.killedDuringStart >= MIN_KILLS, `only ${stats.kills} kills`);
    assert.ok(stats.opsOk >= MIN_OPS_OK, `only ${stats.opsOk} operations succeeded`);

    const qubes = lsJson(d);
    const names = new Set(qubes.map((q) => q.name));
    const pool = join(d.home, 'qubes');
    const entries = readdirSync(pool);
    const running = crunList(`${d.prefix}-`);
    const report = {
      qubesWithoutVolumes: qubes.filter((q) => !existsSync(join(pool, q.name, 'private'))).map((q) => q.name),
      volumesWithoutQube: entries.filter((e) => !e.startsWith('.') && !names.has(e)),
      unfinishedPoolEntries: entries.filter((e) => e.startsWith('.trash-') || e.startsWith('.creating-')),
      runningByLsNotCrun: qubes
        .filter((q) => q.state === 'running' && !running.some((c) => c.id === `${d.prefix}-${q.name}` && c.status === 'running'))
        .map((q) => q.name),
      runningByCrunNotLs: running
        .filter((c) => !qubes.some((q) => `${d.prefix}-${q.name}` === c.id && q.state === 'running'))
        .map((c) => `${c.id}:${c.status}`),
      haltedWithMounts: qubes.filter((q) => q.state === 'halted' && mountsWith(`/run/qubes/${q.name}/`).some((m) => m.startsWith(d.home))).map((q) => q.name),
      haltedWithRunDir: qubes.filter((q) => q.state === 'halted' && existsSync(join(d.home, 'run', 'qubes', q.name))).map((q) => q.name),
    };
    process.stdout.write(
      `# crash test final: ${qubes.length} qubes (${qubes.filter((q) => q.state === 'running').length} running), pool ${JSON.stringify(entries)}\n`,
    );
    const bad: string[] = [];
    for (const [name, shas] of expected) {
      if (!names.has(name)) continue; // removed (or its create was undone) — nothing to keep
      const got = withPrivateTree(join(pool, name), (tree) => {
        const file = join(tree, MARKER);
        return existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : null;
      });
      if (got === null) {
        if (!shas.has(ABSENT)) bad.push(`${name}: marker missing (expected one of ${shas.size})`);
        continue;
      }
      if (!shas.has(got)) bad.push(`${name}: marker sha256 ${got} not among ${[...shas].join(',')}`);
    }
    const checked = [...expected.keys()].filter((n) => names.has(n)).length;
    process.stdout.write(`# crash test: ${checked} private volumes checked\n`);
    assert.deepEqual(bad, [], 'private volumes damaged');
    assert.deepEqual(report, {
      qubesWithoutVolumes: [],
      volumesWithoutQube: [],
      unfinishedPoolEntries: [],
      runningByLsNotCrun: [],
      runningByCrunNotLs: [],
      haltedWithMounts: [],
      haltedWithRunDir: [],
    });
    // The audit chain survived every kill.
    const v = await d.api<{ ok: boolean }>('GET', '/audit/verify');
    assert.equal(v.body.ok, true, JSON.stringify(v.body));
    // Every surviving qube still starts and shows its marker from the inside.
    for (const q of qubes.filter((x) => NAMES.includes(x.name))) {
      const r = await cliAsync(['run', '--user', 'root', q.name, '--', 'sh', '-c', `sha256sum /rw/${MARKER} 2>/dev/null || echo none`]);
      assert.equal(r.code, 0, `${q.name} does not run after the crash loop: ${r.stderr}`);
      const shas = expected.get(q.name);
      const inside = r.stdout.trim() === 'none' ? ABSENT : (r.stdout.split(' ')[0] ?? '');
      if (shas) assert.ok(shas.has(inside), `${q.name}: inside sees ${r.stdout}`);
    }
  });
});
