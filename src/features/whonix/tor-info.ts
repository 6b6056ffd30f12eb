// A gateway's tor as the dashboard shows it (bootstrap phase, built circuits), and New Identity from a workstation through its control-port filter.
import { BulkheadError } from '../../errors/index.js';
import type { DaemonContext } from '../../daemon/context.js';
import { isGateway } from '../../model/index.js';
import { CONTROL_FILTER_PORT } from '../../gateway/index.js';
import { execIn } from './exec-in.js';
import { gatewayControl } from './gateway-control.js';
import { GW_ADDR } from './identity.js';
import type { NewnymResult, TorInfo } from '../../contract/whonix.js';

/** The text after TAG= in a bootstrap phase line, quoted or not. */
const field = (line: string, key: string) => new RegExp(`${key}=("([^"]*)"|\\S+)`).exec(line)?.[2] ?? new RegExp(`${key}=(\\S+)`).exec(line)?.[1] ?? '';

export async function torInfo(ctx: DaemonContext, gateway: string): Promise<TorInfo> {
  const ctl = await gatewayControl(ctx, gateway);
  try {
    const info = await ctl.tor.getinfo('status/bootstrap-phase', 'circuit-status');
    const phase = info.get('status/bootstrap-phase') ?? '';
    const circuits = (info.get('circuit-status') ?? '').split('\n').filter((l) => /^\d+ BUILT\b/.test(l.trim())).length;
    return { gateway, progress: Number(field(phase, 'PROGRESS')) || 0, summary: field(phase, 'SUMMARY'), circuits };
  } finally {
    ctl.close();
  }
}

/** What the workstation runs: AUTHENTICATE, SIGNAL NEWNYM and QUIT to the filter on its gateway, the replies printed. */
const NEWNYM_PY = `
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
s.sendall(b'AUTHENTICATE\\r\\nSIGNAL NEWNYM\\r\\nQUIT\\r\\n')
out = b''
while len(out) < 4096:
    d = s.recv(1024)
    if not d: break
    out += d
sys.stdout.write(out.decode('utf-8', 'replace'))
`;

/**
 * New Identity as Tor Browser asks for it: the workstation's own line to its gateway's control-port
 * filter, which lets SIGNAL NEWNYM through to tor. The filter decides, not the admin's own control line.
 */
export async function newIdentity(ctx: DaemonContext, workstation: string): Promise<NewnymResult> {
  const sys = ctx.store.system();
  const q = sys.qubes.get(workstation);
  if (!q) throw new BulkheadError('ERR_NO_SUCH_QUBE', `no qube named '${workstation}'`);
  const gw = typeof q.props.netvm === 'string' ? sys.qubes.get(q.props.netvm) : undefined;
  if (!gw || !isGateway(gw)) throw new BulkheadError('ERR_INVALID_VALUE', `'${workstation}' is not a workstation (its netvm is not a Tor gateway)`);
  if (ctx.store.power(workstation) !== 'running') throw new BulkheadError('ERR_QUBE_NOT_RUNNING', `'${workstation}' is not running`);
  const r = await execIn(ctx, workstation, ['python3', '-c', NEWNYM_PY, GW_ADDR, String(CONTROL_FILTER_PORT)], { timeoutMs: 20_000 });
  const reply = r.stdout.slice(0, 4096);
  // Three answers: AUTHENTICATE, SIGNAL NEWNYM, QUIT; the second must be 250 OK.
  const lines = reply.split(/\r?\n/).filter((l) => /^\d{3}[ -]/.test(l));
  const ok = r.code === 0 && lines[1]?.startsWith('250 ') === true;
  ctx.store.audit('admin', 'whonix-newnym', workstation, { gateway: gw.name, ok });
  return { workstation, gateway: gw.name, ok, reply: reply.trim() || r.stderr.trim().slice(0, 1000) };
}
