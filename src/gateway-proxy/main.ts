// Entry point run inside a gateway qube: one small process serving the control-port filter on each workstation's port.
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

async function main(argv: string[]): Promise<void> {
  const program = new Command('bulkhead-control-filter')
    .description('Filter between workstations and tor\'s control port (Whonix onion-grater)')
    .requiredOption('--listen <addr...>', 'IPV4:PORT to serve workstations on (one per workstation)')
    .option('--tor-control <addr>', "tor's ControlPort, IPV4:PORT on loopback", '127.0.0.1:9052')
    .option('--tor-socket <path>', "tor's ControlSocket (instead of --tor-control)")
    .requiredOption('--cookie <path>', "tor's control auth cookie file")
    .requiredOption('--profile <path>', 'profile JSON file (gateway-profiles/*.json)')
    .option('--socks-address <addr>', 'workstation-facing SOCKS address for net/listeners/socks', '10.152.152.10:9150')
    .parse(argv);
  const o = program.opts<{ listen: string[]; torControl: string; torSocket?: string; cookie: string; profile: string; socksAddress: string }>();
  const torControl: TorControl = o.torSocket ? { socketPath: o.torSocket } : hostPort(o.torControl, '--tor-control');
  const profile = await loadProfile(o.profile);
  const log = (m: string) => process.stderr.write(`control-filter: ${m}\n`);
  const servers: ControlFilter[] = [];
  for (const l of o.listen) {
    const { host, port } = hostPort(l, '--listen');
    servers.push(await startControlFilter({ listenHost: host, listenPort: port, torControl, cookiePath: o.cookie, profile, socksAddress: o.socksAddress, log }));
    log(`listening on ${host}:${port} (profile ${profile.name})`);
  }
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
