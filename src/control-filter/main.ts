// Entry point of the control-port filter: runs on the host in a gateway's network namespace as an unprivileged uid, one listener per workstation.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { startControlFilter, type ControlFilter } from './server.js';
import { loadProfile } from './profile-file.js';
import type { TorControl } from '../gateway/index.js';

function hostPort(v: string, what: string): { host: string; port: number } {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(v);
  const port = Number(m?.[2]);
  if (!m || port > 65535) throw new Error(`${what}: '${v}' is not IPV4:PORT`);
  return { host: m[1]!, port };
}

/** The control password arrives on stdin (never argv, which every host user can read), one line, then EOF. */
async function readPassword(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += (chunk as Buffer).toString('utf8');
    if (text.length > 256) throw new Error('stdin: the control password is longer than 256 characters');
  }
  const pw = text.trim();
  if (!/^[0-9a-f]{16,128}$/.test(pw)) throw new Error('stdin: expected the control password (hex) on one line');
  return pw;
}

/** Become an unprivileged uid/gid; refuse to go on if any capability is left. */
function dropTo(spec: string): void {
  const m = /^(\d{1,10}):(\d{1,10})$/.exec(spec);
  if (!m) throw new Error(`--run-as: '${spec}' is not UID:GID`);
  const [uid, gid] = [Number(m[1]), Number(m[2])];
  if (uid === 0) throw new Error('--run-as: uid 0 is not a drop');
  process.setgroups?.([]);
  process.setgid?.(gid);
  process.setuid?.(uid);
  const status = readFileSync('/proc/self/status', 'utf8');
  const cap = (k: string) => /^(\w+):\s*([0-9a-f]+)$/m.exec(status.split('\n').find((l) => l.startsWith(`${k}:`)) ?? '')?.[2];
  if (process.getuid?.() !== uid || process.getgid?.() !== gid || ['CapEff', 'CapPrm', 'CapAmb', 'CapInh'].some((k) => !/^0+$/.test(cap(k) ?? 'x'))) {
    throw new Error(`--run-as: could not drop to ${spec} without capabilities`);
  }
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('bulkhead-control-filter')
    .description("Filter between workstations and tor's control port (Whonix onion-grater)")
    .requiredOption('--listen <addr...>', 'IPV4:PORT to serve workstations on (one per workstation)')
    .option('--tor-control <addr>', "tor's ControlPort, IPV4:PORT on loopback", '127.0.0.1:9052')
    .option('--tor-socket <path>', "tor's ControlSocket (instead of --tor-control)")
    .requiredOption('--profile <path>', 'profile JSON file (gateway-profiles/*.json)')
    .option('--run-as <uid:gid>', 'once listening, become this uid and gid (no groups, no capabilities left)')
    .option('--socks-address <addr>', 'workstation-facing SOCKS address for net/listeners/socks', '10.152.152.10:9150')
    .parse(argv);
  const o = program.opts<{ listen: string[]; torControl: string; torSocket?: string; profile: string; socksAddress: string; runAs?: string }>();
  const password = await readPassword();
  const torControl: TorControl = o.torSocket ? { socketPath: o.torSocket } : hostPort(o.torControl, '--tor-control');
  const profile = await loadProfile(o.profile);
  const log = (m: string) => process.stderr.write(`control-filter: ${m}\n`);
  const servers: ControlFilter[] = [];
  for (const l of o.listen) {
    const { host, port } = hostPort(l, '--listen');
    servers.push(await startControlFilter({ listenHost: host, listenPort: port, torControl, password, profile, socksAddress: o.socksAddress, log }));
    log(`listening on ${host}:${port} (profile ${profile.name})`);
  }
  if (o.runAs) dropTo(o.runAs);
  const stop = () => {
    void Promise.all(servers.map((s) => s.close())).then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main(process.argv).catch((e: Error) => {
  process.stderr.write(`control-filter: ${e.message}\n`);
  process.exit(1);
});
