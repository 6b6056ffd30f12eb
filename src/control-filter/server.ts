// The control-port filter: a TCP server for workstations that passes only what a profile allows to tor.
import { createServer, type Server, type Socket } from 'node:net';
import { filterControlLine, rewriteResponse, MAX_LINE, type ControlProfile, type TorControl as TorControlAddress } from '../gateway/index.js';
import { replyText, TorControl, type ControlTarget } from '../tor-control/index.js';

/** Whatever listens on tor's control port is inside the gateway: a reply larger than this closes the connection. */
export const MAX_TOR_REPLY = 1024 * 1024;
/** A command tor has not answered in this time ends the workstation's connection. */
const TOR_TIMEOUT_MS = 30_000;

/** Commands a workstation may have waiting for an answer on one connection; one more closes it. */
export const MAX_QUEUED = 32;
/** Answer bytes a workstation may leave unread before its connection is closed. */
export const MAX_UNREAD = 4 * 1024 * 1024;

export interface ControlFilterOptions {
  listenHost: string;
  listenPort: number;
  torControl: TorControlAddress;
  /** The admin's control password for this gateway's tor (handed over on stdin, never read from the gateway). */
  password: string;
  profile: ControlProfile;
  /** Workstation-facing SOCKS address put into the rewritten `net/listeners/socks` answer. */
  socksAddress?: string;
  log?: (msg: string) => void;
}

export interface ControlFilter {
  /** Bound address (port resolved when listenPort was 0). */
  address: { host: string; port: number };
  close(): Promise<void>;
}

function session(client: Socket, opts: ControlFilterOptions): void {
  const log = opts.log ?? (() => {});
  const who = `${client.remoteAddress}:${client.remotePort}`;
  let tor: TorControl | undefined;
  let torVersion: string | undefined;
  let buf = '';
  let chain = Promise.resolve();
  let queued = 0;
  let done = false;

  const finish = () => {
    done = true;
    tor?.close();
    client.destroy();
  };
  const write = (s: string) => {
    if (done) return;
    client.write(s);
    // A workstation that never reads its answers does not make the filter hold them without end.
    if (client.writableLength > MAX_UNREAD) {
      log(`${who} more than ${MAX_UNREAD} bytes of answers unread; closing`);
      finish();
    }
  };
  const ensureTor = async (): Promise<TorControl> => {
    if (tor) return tor;
    const target: ControlTarget = 'socketPath' in opts.torControl ? { path: opts.torControl.socketPath } : opts.torControl;
    tor = await TorControl.open({ target, password: opts.password, maxReply: MAX_TOR_REPLY, timeoutMs: TOR_TIMEOUT_MS });
    tor.closed.then(finish, finish);
    torVersion = (await tor.getinfoOne('version')).split(' ')[0] || undefined;
    return tor;
  };

  const handle = async (line: string): Promise<void> => {
    if (done) return;
    let decision = filterControlLine(opts.profile, line);
    if ('reply' in decision && /^PROTOCOLINFO\b/i.test(line.trim())) {
      await ensureTor();
      decision = filterControlLine(opts.profile, line, { torVersion });
    }
    if ('ignore' in decision) return;
    if ('reply' in decision) {
      if (decision.reply.startsWith('510')) log(`${who} filtered: ${line.slice(0, 200)}`);
      write(decision.reply + '\r\n');
      if (decision.close) finish();
      return;
    }
    const t = await ensureTor();
    const answer = replyText(await t.raw(decision.forward));
    write(rewriteResponse(opts.profile, decision.forward, answer, { 'socks-address': opts.socksAddress, 'client-address': client.remoteAddress }));
  };

  client.setEncoding('utf8');
  client.on('data', (d: string) => {
    if (done) return;
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0 && !done; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.length > MAX_LINE) {
        log(`${who} line longer than ${MAX_LINE} bytes; closing`);
        finish();
        return;
      }
      // Pipelining is allowed, but bounded: a workstation cannot queue work (and memory) without end.
      if (++queued > MAX_QUEUED) {
        log(`${who} more than ${MAX_QUEUED} commands waiting; closing`);
        finish();
        return;
      }
      chain = chain
        .then(() => handle(line))
        .catch((e: Error) => {
          log(`${who} tor unavailable: ${e.message}`);
          write('551 Tor is not reachable\r\n');
          finish();
        })
        .finally(() => {
          queued--;
        });
    }
    if (buf.length > MAX_LINE) {
      log(`${who} line longer than ${MAX_LINE} bytes; closing`);
      finish();
    }
  });
  client.on('error', finish);
  client.on('close', finish);
}

/** Start the filter; resolves once it listens. One tor control connection per workstation connection. */
export function startControlFilter(opts: ControlFilterOptions): Promise<ControlFilter> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
    session(c, opts);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listenPort, opts.listenHost, () => {
      server.off('error', reject);
      const a = server.address();
      const port = typeof a === 'object' && a ? a.port : opts.listenPort;
      resolve({
        address: { host: opts.listenHost, port },
        close: () =>
          new Promise<void>((res) => {
            for (const s of sockets) s.destroy();
            server.close(() => res());
          }),
      });
    });
  });
}
