// One qube's display relay: checks what its agent says, fans it out to display clients, passes their input back (no I/O of its own).
import { Decoder, WindowTable, encode, type AgentMessage, type Message } from '../../desktop/protocol/index.js';
import { BulkheadError, isBulkheadError } from '../../errors/index.js';

/** A display client as the relay sees it: bytes out, a way to drop it, and how much it has not taken yet. */
export interface DisplayClient {
  send(bytes: Uint8Array): void;
  close(reason?: string): void;
  /** Bytes sent but not yet taken by the client (a socket's writableLength); a slow client past the bound is dropped. */
  buffered?(): number;
}

/** The agent's side as the relay sees it: bytes to its stdin, and a way to end it. */
export interface AgentLink {
  write(bytes: Uint8Array): void;
  stop(reason: string): void;
}

/** What a client gets back from attach: its input goes through input(), detach() ends its stream. */
export interface Attachment {
  input(bytes: Uint8Array): void;
  detach(): void;
}

/** Bytes queued for one client before it is dropped: a few full-screen frames. */
export const MAX_CLIENT_BUFFER = 64 * 1024 * 1024;

interface Attached {
  client: DisplayClient;
  decoder: Decoder;
}

export class DisplayRelay {
  readonly table = new WindowTable();
  private readonly decoder = new Decoder('from-agent');
  private readonly clients = new Set<Attached>();
  private ended: string | null = null;
  private helloWaiters: { ok: () => void; fail: (e: Error) => void }[] = [];

  constructor(
    readonly qube: string,
    /** The label colour as 0xRRGGBB, read from the daemon's state when a client attaches. */
    private readonly colour: () => number,
    private readonly agent: AgentLink,
    private readonly maxClientBuffer = MAX_CLIENT_BUFFER,
  ) {}

  get clientCount(): number {
    return this.clients.size;
  }

  get endReason(): string | null {
    return this.ended;
  }

  /** Resolves once the agent said HELLO (its display is up); rejects if the relay ends first. */
  ready(): Promise<void> {
    if (this.table.screen) return Promise.resolve();
    if (this.ended) return Promise.reject(new BulkheadError('ERR_RUNTIME', `display of '${this.qube}' ended: ${this.ended}`));
    return new Promise((ok, fail) => this.helloWaiters.push({ ok, fail }));
  }

  /** Bytes from the agent's stdout. Any fault ends the display (never thrown to the caller). */
  fromAgent(chunk: Uint8Array): void {
    if (this.ended) return;
    let msgs: Message[];
    try {
      msgs = this.decoder.push(chunk);
      for (const m of msgs) {
        this.table.apply(m as AgentMessage);
        if (m.kind === 'hello') for (const w of this.helloWaiters.splice(0)) w.ok();
        this.broadcast(encode(m));
      }
    } catch (e) {
      this.end(isBulkheadError(e) ? `${e.code}: ${e.message}` : String(e));
    }
  }

  /** The agent's stream ended (it exited or was killed). */
  agentEnded(why: string): void {
    if (this.ended) return;
    try {
      this.decoder.end();
      this.end(why);
    } catch (e) {
      this.end(isBulkheadError(e) ? `${e.code}: ${e.message}` : String(e));
    }
  }

  /** Ends the display: the agent is stopped, every client is closed with the reason. Idempotent. */
  end(reason: string): void {
    if (this.ended) return;
    this.ended = reason;
    this.agent.stop(reason);
    for (const w of this.helloWaiters.splice(0))
      w.fail(new BulkheadError(reason.startsWith('ERR_DISPLAY_PROTOCOL') ? 'ERR_DISPLAY_PROTOCOL' : 'ERR_RUNTIME', reason));
    for (const a of [...this.clients]) this.drop(a, reason);
  }

  attach(client: DisplayClient): Attachment {
    if (this.ended) {
      client.close(this.ended);
      return { input: () => undefined, detach: () => undefined };
    }
    const a: Attached = { client, decoder: new Decoder('from-client') };
    this.clients.add(a);
    // The stream opens with who this is, from the daemon's own state, then the windows as the daemon knows them.
    this.sendTo(a, encode({ kind: 'qube', window: 0, name: this.qube, colour: this.colour() }));
    for (const m of this.snapshot()) this.sendTo(a, encode(m));
    if (this.table.screen) this.agent.write(encode({ kind: 'redraw', window: 0 }));
    return {
      input: (bytes) => this.fromClient(a, bytes),
      detach: () => {
        this.clients.delete(a);
      },
    };
  }

  /** HELLO, then CREATE/TITLE/MAP of every window in creation order (a transient's parent always comes first). */
  snapshot(): Message[] {
    const s = this.table.screen;
    if (!s) return [];
    const out: Message[] = [{ kind: 'hello', window: 0, version: 1, screenWidth: s.width, screenHeight: s.height }];
    for (const w of this.table.windows.values()) {
      const { window, x, y, width, height, popup, fullscreen, transientFor } = w;
      out.push({ kind: 'create', window, x, y, width, height, popup, fullscreen, transientFor });
      if (w.title) out.push({ kind: 'title', window, title: w.title });
      if (w.mapped) out.push({ kind: 'map', window });
    }
    return out;
  }

  private fromClient(a: Attached, bytes: Uint8Array): void {
    if (!this.clients.has(a)) return;
    try {
      for (const m of a.decoder.push(bytes)) {
        // Input only for a window this qube has: a client cannot make the agent act on anything else.
        if (m.kind !== 'redraw' && !this.table.windows.has(m.window)) continue;
        if (!this.ended) this.agent.write(encode(m));
      }
    } catch (e) {
      this.drop(a, isBulkheadError(e) ? `${e.code}: ${e.message}` : String(e));
    }
  }

  private broadcast(bytes: Uint8Array): void {
    for (const a of [...this.clients]) this.sendTo(a, bytes);
  }

  private sendTo(a: Attached, bytes: Uint8Array): void {
    if ((a.client.buffered?.() ?? 0) + bytes.length > this.maxClientBuffer) {
      this.drop(a, `ERR_DISPLAY_SLOW: the client took too long (over ${this.maxClientBuffer} bytes waiting)`);
      return;
    }
    try {
      a.client.send(bytes);
    } catch (e) {
      this.drop(a, String(e));
    }
  }

  private drop(a: Attached, reason: string): void {
    if (!this.clients.delete(a)) return;
    try {
      a.client.close(reason);
    } catch {
      /* a client that fails to close is gone anyway */
    }
  }
}
