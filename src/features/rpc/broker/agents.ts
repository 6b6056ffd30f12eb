// The agents of running qubes: one control connection each, and the data connections they open per call.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { BulkheadError } from '../../../errors/index.js';
import { encodeFrame, FrameType } from '../frame.js';
import { helloRole, readHandshake } from './handshake.js';

export interface ServiceConn {
  sock: Socket;
  /** Bytes that came after the HELLO (already frames of the call). */
  rest: Buffer;
}

interface DataWaiter {
  qube: string;
  resolve: (c: ServiceConn) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface AgentCall {
  source: string;
  /** `SERVICE+ARG` as the service sees it in QREXEC_SERVICE_FULL_NAME. */
  service: string;
  user: string;
}

export class AgentRegistry {
  private readonly control = new Map<string, Socket>();
  private readonly agentWaiters = new Map<string, Array<() => void>>();
  private readonly data = new Map<string, DataWaiter>();

  constructor(private readonly log: Logger) {}

  connected(qube: string): boolean {
    return this.control.has(qube);
  }

  /** A connection on `qube`'s agent socket (only that qube's root can open one). */
  async accept(qube: string, sock: Socket): Promise<void> {
    sock.on('error', () => undefined);
    let hs;
    try {
      hs = await readHandshake(sock, 1, 5_000);
    } catch (e) {
      this.log.warn({ qube, err: (e as Error).message }, 'rpc agent handshake failed');
      sock.destroy();
      return;
    }
    const { role } = helloRole(hs.frames[0]!);
    if (role === 'agent') {
      const old = this.control.get(qube);
      if (old && !old.destroyed) {
        this.log.warn({ qube }, 'a second rpc agent connected; the first one stays');
        sock.destroy();
        return;
      }
      this.control.set(qube, sock);
      sock.on('close', () => {
        if (this.control.get(qube) === sock) this.control.delete(qube);
      });
      sock.on('data', () => undefined); // agents send nothing more on this connection
      sock.resume();
      for (const w of this.agentWaiters.get(qube) ?? []) w();
      this.agentWaiters.delete(qube);
      return;
    }
    const m = /^data ([0-9a-f]{32})$/.exec(role);
    const w = m ? this.data.get(m[1]!) : undefined;
    if (!w || w.qube !== qube) {
      this.log.warn({ qube, role: role.slice(0, 80) }, 'rpc data connection for no pending call');
      sock.destroy();
      return;
    }
    this.data.delete(m![1]!);
    clearTimeout(w.timer);
    w.resolve({ sock, rest: hs.rest });
  }

  /** Waits until `qube`'s agent is connected. */
  waitAgent(qube: string, timeoutMs: number): Promise<void> {
    if (this.control.has(qube)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const list = this.agentWaiters.get(qube) ?? [];
      const timer = setTimeout(() => {
        const l = this.agentWaiters.get(qube);
        if (l)
          this.agentWaiters.set(
            qube,
            l.filter((f) => f !== go),
          );
        reject(new BulkheadError('ERR_TIMEOUT', `the RPC agent of '${qube}' did not connect within ${timeoutMs} ms`));
      }, timeoutMs);
      const go = () => {
        clearTimeout(timer);
        resolve();
      };
      list.push(go);
      this.agentWaiters.set(qube, list);
    });
  }

  /** Asks `qube`'s agent to run a service; resolves with the data connection its child opens. */
  async open(qube: string, call: AgentCall, timeoutMs: number): Promise<ServiceConn> {
    const deadline = Date.now() + timeoutMs;
    await this.waitAgent(qube, timeoutMs);
    const ctl = this.control.get(qube);
    if (!ctl) throw new BulkheadError('ERR_RUNTIME', `the RPC agent of '${qube}' is gone`);
    const id = randomBytes(16).toString('hex');
    for (const f of [call.source, call.service, call.user]) {
      if (f.includes('\0') || f.length === 0) throw new BulkheadError('ERR_BAD_REQUEST', 'rpc: empty or NUL field in an agent call');
    }
    const conn = new Promise<ServiceConn>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.data.delete(id);
          reject(new BulkheadError('ERR_TIMEOUT', `the service in '${qube}' did not answer within ${timeoutMs} ms`));
        },
        Math.max(1, deadline - Date.now()),
      );
      this.data.set(id, { qube, resolve, reject, timer });
    });
    ctl.write(encodeFrame(FrameType.CALL, Buffer.from(`${id}\0${call.source}\0${call.service}\0${call.user}`, 'utf8')));
    return conn;
  }

  /** The qube stopped: its agent and pending calls are gone. */
  forget(qube: string): void {
    this.control.get(qube)?.destroy();
    this.control.delete(qube);
    for (const [id, w] of this.data) {
      if (w.qube !== qube) continue;
      this.data.delete(id);
      clearTimeout(w.timer);
      w.reject(new BulkheadError('ERR_QUBE_NOT_RUNNING', `'${qube}' stopped`));
    }
  }

  closeAll(): void {
    for (const q of [...this.control.keys()]) this.forget(q);
  }
}
