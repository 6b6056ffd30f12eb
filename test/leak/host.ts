// Host-side steps of the leak test: the gateway's tor (control port, PID), the workstation's firewall, the qube's own root.
import { readFile } from 'node:fs/promises';
import { run } from '../../src/exec/index.js';

/** Ask tor's real control port inside the gateway's namespace (the admin's control password, on stdin); one reply per command. */
export async function torControl(gwNetns: string, password: string, commands: string[]): Promise<Map<string, string[]>> {
  const py = [
    'import json, socket, sys',
    'password = sys.stdin.readline().strip()',
    "s = socket.create_connection(('127.0.0.1', 9052), 5)",
    "f = s.makefile('rb')",
    'def cmd(c):',
    "    s.sendall(c.encode() + b'\\r\\n')",
    '    out = []',
    '    while True:',
    "        l = f.readline().decode(errors='replace').rstrip('\\r\\n')",
    '        out.append(l)',
    "        if not l or (len(l) >= 4 and l[3] == ' '):",
    '            return out',
    "a = cmd('AUTHENTICATE \"' + password + '\"')",
    "assert a[-1].startswith('250'), a",
    'for c in sys.argv[1:]:',
    '    print(json.dumps([c, cmd(c)]))',
  ].join('\n');
  const r = await run('ip', ['netns', 'exec', gwNetns, '/usr/bin/python3', '-c', py, ...commands], { timeoutMs: 15_000, input: `${password}\n` });
  const out = new Map<string, string[]>();
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const [c, reply] = JSON.parse(line) as [string, string[]];
    out.set(c, reply);
  }
  return out;
}

/** PIDs (host view) of tor processes in the gateway's network namespace. */
export async function torPids(gwNetns: string): Promise<number[]> {
  const r = await run('ip', ['netns', 'pids', gwNetns], { allowFail: true });
  const pids: number[] = [];
  for (const p of r.stdout
    .split('\n')
    .map((x) => Number(x.trim()))
    .filter((x) => x > 0)) {
    const comm = await readFile(`/proc/${p}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === 'tor' && !(await zombie(p))) pids.push(p);
  }
  return pids;
}

/** A process that exited but is not yet reaped (its parent, tor's supervisor, may be held). */
async function zombie(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat === '' || / Z /.test(stat.replace(/^.*\)/, ')'));
}

/** Stop tor by PID (SIGTERM; SIGKILL after 5 s); resolves with what happened. */
export async function stopTor(gwNetns: string): Promise<{ note: string; ok: boolean }> {
  const pids = await torPids(gwNetns);
  if (pids.length !== 1) return { ok: false, note: `expected one tor in the gateway, found ${pids.length}` };
  const pid = pids[0]!;
  // tor's supervisor (its parent in the gateway) would start it again within a second: hold it, so
  // the vectors after this one meet a gateway whose tor stays down.
  const ppid = Number(/^PPid:\s*(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1]);
  if ((await readFile(`/proc/${ppid}/cmdline`, 'utf8').catch(() => '')).includes('tor-supervise')) process.kill(ppid, 'SIGSTOP');
  const t0 = Date.now();
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100; i++) {
    if ((await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim() !== 'tor' || (await zombie(pid))) {
      return { ok: true, note: `tor (pid ${pid}) stopped with SIGTERM in ${Date.now() - t0} ms` };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  process.kill(pid, 'SIGKILL');
  return { ok: true, note: `tor (pid ${pid}) ignored SIGTERM for 5 s; killed` };
}

/** What root inside the qube itself can do with the leaktest.caps capabilities (run through `bulkhead run --user root`). */
export const QUBE_ROOT_PY = [
  'import socket, subprocess',
  "cap = int([l.split()[1] for l in open('/proc/self/status') if l.startswith('CapEff')][0], 16)",
  "out = ['CapEff has NET_ADMIN=%d NET_RAW=%d' % ((cap >> 12) & 1, (cap >> 13) & 1)]",
  'def attempt(name, fn):',
  '    try:',
  '        fn()',
  "        out.append(name + ' ok')",
  '    except OSError as e:',
  "        out.append(name + ': ' + (e.strerror or str(e)))",
  "attempt('raw socket', lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW).sendto(b'\\x45' + b'\\0' * 19, ('192.0.2.10', 0)))",
  "attempt('AF_PACKET', lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW))",
  "attempt('udp to web', lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('192.0.2.10', 53)))",
  "r = subprocess.run(['ip', 'addr', 'add', '10.152.152.99/32', 'dev', 'eth0'], capture_output=True, text=True)",
  "out.append('ip addr add: rc=%d %s' % (r.returncode, r.stderr.strip()[:40]))",
  "r = subprocess.run(['ping', '-c', '1', '-W', '1', '192.0.2.10'], capture_output=True, text=True)",
  "out.append('ping rc=%d' % r.returncode)",
  "print('; '.join(out))",
].join('\n');

/** Why tor ended, from the end of its log inside the gateway (e.g. `Tor 0.4.9.11 died: Caught signal 11`). */
export async function torDeathNote(gwInitPid: number): Promise<string> {
  const log = await readFile(`/proc/${gwInitPid}/root/var/lib/bulkhead-tor/tor.log`, 'utf8').catch(() => '');
  const died = log
    .split('\n')
    .filter((l) => /died|Caught signal|\[err\]/.test(l))
    .slice(-1);
  return died.join(' | ') || 'no reason in tor.log';
}

/** tor's uid on the host: the one uid the gateway's ruleset lets send to its uplink. */
export async function torUidOf(gwNetns: string): Promise<number> {
  const r = await run('ip', ['netns', 'exec', gwNetns, 'nft', 'list', 'chain', 'inet', 'bulkhead_gw', 'output']);
  const m = /meta skuid (\d+) accept/.exec(r.stdout);
  if (!m) throw new Error("the gateway's output chain names no tor uid");
  return Number(m[1]);
}

/** A packet the gateway lets out (tor's uid) but that is not tor traffic: the observer must count it. */
export async function sendAsTorUid(gwNetns: string, uid: number, target: string): Promise<string> {
  const py = [
    'import socket',
    "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.sendto(b'observer-control', (%s, 9)); u.close()".replace('%s', JSON.stringify(target)),
    't = socket.socket(); t.settimeout(3)',
    'try:',
    '    t.connect((%s, 80)); print("udp sent, tcp connected")'.replace('%s', JSON.stringify(target)),
    'except OSError as e:',
    '    print("udp sent, tcp", e)',
  ].join('\n');
  const r = await run('ip', ['netns', 'exec', gwNetns, 'setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '/usr/bin/python3', '-c', py], {
    allowFail: true,
    timeoutMs: 10_000,
  });
  return `${r.stdout.trim()}${r.stderr.trim()} (rc ${r.code})`;
}
