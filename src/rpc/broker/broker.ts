// The RPC broker of one daemon: a socket pair per running qube, the agents, the live policy, asks and the clipboard.
import { chmodSync, chownSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { uidBaseOf, type DaemonContext } from '../../daemon/context.js';
import { encodeError } from '../frame.js';
import { AgentRegistry } from './agents.js';
import { AskRegistry } from './asks.js';
import { AuditBatcher } from './audit.js';
import { handleCall, parseCall, REFUSED } from './call.js';
import { Clipboard } from './clipboard.js';
import { helloRole, readHandshake } from './handshake.js';
import { PolicySource } from './policy-source.js';
import { prepareShare, qubeMounts } from './share.js';
import type { BindMount } from '../../runtime/types.js';

interface QubeSockets { dir: string; client: Server; agent: Server; conns: Set<Socket> }

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
  private readonly sockets = new Map<string, QubeSockets>();
  private share: { bin: string; services: string } | null = null;
  private readonly askTimeoutMs: number;

  constructor(private readonly ctx: DaemonContext, opts: BrokerOptions = {}) {
    const envS = Number(process.env.BULKHEAD_RPC_ASK_TIMEOUT_S);
    this.askTimeoutMs = opts.askTimeoutMs ?? (Number.isFinite(envS) && envS > 0 ? envS * 1000 : 60_000);
    this.policy = new PolicySource(ctx.paths.home, ctx.log);
    this.agents = new AgentRegistry(ctx.log);
    this.audit = new AuditBatcher(ctx.store, ctx.log);
    this.asks = new AskRegistry(ctx.events);
    this.clipboard = new Clipboard({ ctx, agents: this.agents, asks: this.asks, policy: this.policy, askTimeoutMs: this.askTimeoutMs });
  }

  /** Host directory of a qube's sockets (mounted read-only at /run/bulkhead/rpc). */
  socketDir(name: string): string {
    return join(this.ctx.paths.runDir, 'rpc', name);
  }

  start(): void {
    this.share = prepareShare(join(this.ctx.paths.runDir, 'rpc-share'));
    this.policy.start();
  }

  /** Creates (or re-creates, after a daemon restart) the two sockets of a qube; returns its mounts. */
  async openQube(name: string): Promise<BindMount[]> {
    await this.closeQube(name, false);
    const q = this.ctx.store.requireQube(name);
    const dir = this.socketDir(name);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o755);
    const conns = new Set<Socket>();
    const track = (s: Socket) => { conns.add(s); s.on('close', () => conns.delete(s)); };
    const client = createServer((s) => { track(s); void this.onClient(name, s); });
    const agent = createServer((s) => { track(s); void this.agents.accept(name, s); });
    const listen = (srv: Server, path: string) => new Promise<void>((resolve, reject) => {
      rmSync(path, { force: true });
      srv.once('error', reject);
      srv.listen(path, () => { srv.off('error', reject); resolve(); });
    });
    await listen(client, join(dir, 'broker.sock'));
    await listen(agent, join(dir, 'agent.sock'));
    chmodSync(join(dir, 'broker.sock'), 0o666);
    // Only the qube's own root (host uid = its uid base) may be its agent.
    const uid = uidBaseOf(this.ctx, q.qid);
    chownSync(join(dir, 'agent.sock'), uid, uid);
    chmodSync(join(dir, 'agent.sock'), 0o600);
    this.sockets.set(name, { dir, client, agent, conns });
    if (!this.share) this.share = prepareShare(join(this.ctx.paths.runDir, 'rpc-share'));
    return qubeMounts(this.share, dir);
  }

  async closeQube(name: string, removeDir = true): Promise<void> {
    const s = this.sockets.get(name);
    this.agents.forget(name);
    if (s) {
      this.sockets.delete(name);
      for (const c of s.conns) c.destroy();
      await Promise.all([s.client, s.agent].map((srv) => new Promise((r) => srv.close(() => r(undefined)))));
    }
    if (removeDir) rmSync(this.socketDir(name), { recursive: true, force: true });
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
      await handleCall({ ctx: this.ctx, policy: this.policy, agents: this.agents, asks: this.asks, askTimeoutMs: this.askTimeoutMs, audit: this.audit }, { source, target: c.target, call: c.call }, sock, hs.rest, c.ignored);
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
    this.audit.flush();
  }
}
