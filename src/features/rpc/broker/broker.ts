// The RPC broker of one daemon: a socket pair per running qube (reachable and accepted only from that qube's uids), the agents, the live policy, asks and the clipboard.
import { chmodSync, chownSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { UID_RANGE, uidBaseOf, type DaemonContext } from '../../../daemon/context.js';
import { rpcQubeDir, rpcShareDir } from '../../../daemon/paths.js';
import { encodeError } from '../frame.js';
import { AgentRegistry } from './agents.js';
import { AskRegistry } from './asks.js';
import { AuditBatcher } from './audit.js';
import { handleCall, parseCall, REFUSED } from './call.js';
import { Clipboard } from './clipboard.js';
import { DispvmQuota } from './dispvm-limit.js';
import { helloRole, readHandshake } from './handshake.js';
import { peerCred, peerInRange, requirePeerCred, type UidRange } from '../../../native/peer.js';
import { PolicySource, seedPolicyDir } from './policy-source.js';
import { prepareShare, qubeMounts } from './share.js';
import type { BindMount } from '../../../runtime/types.js';

interface QubeSockets {
  dir: string;
  client: Server;
  agent: Server;
  conns: Set<Socket>;
}

/** Which end of a qube's sockets a connection came in on. */
type SocketKind = 'broker' | 'agent';

export interface BrokerOptions {
  /** Longest wait for an answer to an ask (default: BULKHEAD_RPC_ASK_TIMEOUT_S or 60 s). */
  askTimeoutMs?: number;
}

export class Broker {
  readonly policy: PolicySource;
  readonly agents: AgentRegistry;
  readonly asks: AskRegistry;
  readonly clipboard: Clipboard;
  readonly audit: AuditBatcher;
  readonly dispvms = new DispvmQuota();
  /** Run after a call made a disposable and before its service starts (the desktop gives it a display when the caller has one). */
  readonly onDispvm: ((source: string, target: string) => Promise<void>)[] = [];
  private readonly sockets = new Map<string, QubeSockets>();
  private share: { bin: string; services: string } | null = null;
  private readonly askTimeoutMs: number;

  constructor(
    private readonly ctx: DaemonContext,
    opts: BrokerOptions = {},
  ) {
    const envS = Number(process.env.BULKHEAD_RPC_ASK_TIMEOUT_S);
    this.askTimeoutMs = opts.askTimeoutMs ?? (Number.isFinite(envS) && envS > 0 ? envS * 1000 : 60_000);
    this.policy = new PolicySource(ctx.paths.home, ctx.log);
    this.agents = new AgentRegistry(ctx.log);
    this.audit = new AuditBatcher(ctx.store, ctx.log);
    this.asks = new AskRegistry(ctx.events);
    this.clipboard = new Clipboard({ ctx, agents: this.agents, asks: this.asks, policy: this.policy, askTimeoutMs: this.askTimeoutMs });
  }

  /**
   * Host directory of a qube's sockets: `run/rpc/NAME/` is root:(the qube's root gid) 0710, so
   * only host root and the qube's own root group pass it; inside it `sockets/` is what the qube
   * sees, bind-mounted read-only at /run/bulkhead/rpc (any process of the qube may call).
   */
  qubeDir(name: string): string {
    return rpcQubeDir(this.ctx.paths, name);
  }

  /** The directory mounted into the qube. */
  socketDir(name: string): string {
    return join(this.qubeDir(name), 'sockets');
  }

  start(): void {
    requirePeerCred();
    // Older share versions go only when no qube may still have one mounted.
    const live = [...this.ctx.store.allPower().values()].some((p) => p !== 'halted');
    this.share = prepareShare(rpcShareDir(this.ctx.paths), { prune: !live });
    seedPolicyDir(this.ctx.paths.home, this.ctx.store, this.ctx.log);
    this.policy.start();
  }

  /** Creates (or re-creates, after a daemon restart) the two sockets of a qube; returns its mounts. */
  async openQube(name: string): Promise<BindMount[]> {
    await this.closeQube(name, false);
    const q = this.ctx.store.requireQube(name);
    const uidBase = uidBaseOf(this.ctx, q.qid);
    const range: UidRange = { first: uidBase, count: UID_RANGE };
    const top = dirname(this.qubeDir(name));
    mkdirSync(top, { recursive: true, mode: 0o711 });
    chownSync(top, 0, 0);
    chmodSync(top, 0o711);
    // Mode and owner are set again every time: a directory left by an older daemon may be wider.
    const qdir = this.qubeDir(name);
    mkdirSync(qdir, { recursive: true, mode: 0o710 });
    chownSync(qdir, 0, uidBase);
    chmodSync(qdir, 0o710);
    const dir = this.socketDir(name);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chownSync(dir, 0, 0);
    chmodSync(dir, 0o755);
    const conns = new Set<Socket>();
    const track = (s: Socket) => {
      conns.add(s);
      s.on('close', () => conns.delete(s));
    };
    // Paused on accept: nothing is read from a connection before its peer's credentials are checked.
    const client = createServer({ pauseOnConnect: true }, (s) => {
      track(s);
      if (this.admit(name, 'broker', s, range)) void this.onClient(name, s);
    });
    // The agent socket: the qube's root only (the agent and its per-call children before they drop to the service user).
    const agent = createServer({ pauseOnConnect: true }, (s) => {
      track(s);
      if (this.admit(name, 'agent', s, { first: uidBase, count: 1 })) void this.agents.accept(name, s);
    });
    const listen = (srv: Server, path: string) =>
      new Promise<void>((resolve, reject) => {
        rmSync(path, { force: true });
        srv.once('error', reject);
        srv.listen(path, () => {
          srv.off('error', reject);
          resolve();
        });
      });
    await listen(client, join(dir, 'broker.sock'));
    await listen(agent, join(dir, 'agent.sock'));
    // Inside the qube every user may call; outside, the 0710 directory above keeps everyone but the qube away.
    chmodSync(join(dir, 'broker.sock'), 0o666);
    // Only the qube's own root (host uid = its uid base) may be its agent.
    chownSync(join(dir, 'agent.sock'), uidBase, uidBase);
    chmodSync(join(dir, 'agent.sock'), 0o600);
    this.sockets.set(name, { dir, client, agent, conns });
    if (!this.share) this.share = prepareShare(rpcShareDir(this.ctx.paths));
    return qubeMounts(this.share, dir);
  }

  /**
   * SO_PEERCRED before the first byte: a connection from outside the qube's uid range (a host
   * user, another qube) is closed and audited (bounded: charged to its own bucket, not the qube's).
   */
  private admit(qube: string, kind: SocketKind, sock: Socket, range: UidRange): boolean {
    sock.on('error', () => undefined);
    let cred;
    try {
      cred = peerCred(sock);
    } catch (e) {
      this.ctx.log.warn({ qube, socket: kind, err: (e as Error).message }, 'rpc connection without readable credentials closed');
      sock.destroy();
      return false;
    }
    if (peerInRange(cred, range)) {
      sock.resume();
      return true;
    }
    sock.destroy();
    const detail = { socket: kind, pid: cred.pid, uid: cred.uid, gid: cred.gid, allowedUids: `${range.first}-${range.first + range.count - 1}` };
    if (this.audit.add('rpc', 'rpc-peer-refused', qube, detail, `peer:${qube}`)) {
      this.ctx.log.warn({ qube, ...detail }, 'rpc connection from outside the qube refused');
    }
    return false;
  }

  async closeQube(name: string, removeDir = true): Promise<void> {
    const s = this.sockets.get(name);
    this.agents.forget(name);
    if (s) {
      this.sockets.delete(name);
      for (const c of s.conns) c.destroy();
      await Promise.all([s.client, s.agent].map((srv) => new Promise((r) => srv.close(() => r(undefined)))));
    }
    if (removeDir) rmSync(this.qubeDir(name), { recursive: true, force: true });
  }

  /** A connection on `source`'s broker socket: the caller is `source`, whatever it says. */
  private async onClient(source: string, sock: Socket): Promise<void> {
    sock.on('error', () => undefined);
    let hs;
    try {
      hs = await readHandshake(sock, 2, 10_000);
      helloRole(hs.frames[0]!);
    } catch (e) {
      sock.end(encodeError(REFUSED, (e as Error).message));
      return;
    }
    const c = parseCall(hs.frames[1]!);
    if (!c) {
      sock.end(encodeError(REFUSED, 'the second frame must be CALL with TARGET and SERVICE'));
      return;
    }
    try {
      await handleCall(
        {
          ctx: this.ctx,
          policy: this.policy,
          agents: this.agents,
          asks: this.asks,
          askTimeoutMs: this.askTimeoutMs,
          audit: this.audit,
          dispvms: this.dispvms,
          onDispvm: this.onDispvm,
        },
        { source, target: c.target, call: c.call },
        sock,
        hs.rest,
        c.ignored,
      );
    } catch (e) {
      this.ctx.log.error({ err: e, source }, 'rpc call crashed');
      if (!sock.destroyed) sock.end(encodeError(REFUSED, 'internal error'));
    }
  }

  async stop(): Promise<void> {
    this.asks.closeAll();
    this.policy.stop();
    for (const n of [...this.sockets.keys()]) await this.closeQube(n, false);
    this.agents.closeAll();
    this.audit.flush(true);
  }
}
