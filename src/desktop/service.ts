// The window service (Qubes' guid): every qube whose display runs, drawn on one admin X display; follows the daemon across restarts.
import type { Duplex } from 'node:stream';
import { Decoder, encode, protocolError, type AgentMessage, type ClientMessage } from './protocol/index.js';
import type { DisplaySource, Following } from './source.js';
import { InputRouter } from './window/input.js';
import { QubeWindows } from './window/qube-windows.js';
import type { XConnection } from './x11/connection.js';

export interface WindowServiceOptions {
  xc: XConnection;
  source: DisplaySource;
  log?: (msg: string) => void;
  /** Called after a qube's pixels are drawn (benchmarks, tests). */
  painted?: (qube: string, win: number) => void;
  /** Wait between attempts to reach the daemon again. */
  retryMs?: number;
}

interface Attached {
  stream: Duplex;
  windows: QubeWindows | null;
}

export class WindowService {
  private readonly input: InputRouter;
  private readonly attached = new Map<string, Attached>();
  private following: Following | null = null;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private readonly log: (msg: string) => void;

  constructor(private readonly o: WindowServiceOptions) {
    this.log = o.log ?? (() => undefined);
    this.input = new InputRouter(o.xc, (action, qube) => {
      o.source.clipboard(action, qube).then(
        () => this.log(`clipboard ${action} ${qube}`),
        (e: unknown) => this.log(`clipboard ${action} ${qube} refused: ${(e as Error).message}`),
      );
    });
    o.xc.X.on('event', (e) => this.input.handle(e));
    o.xc.X.on('error', (e) => this.log(`X error: ${e?.message ?? String(e)}`));
  }

  /** Qubes shown now. */
  get qubes(): string[] {
    return [...this.attached.keys()];
  }

  start(): void {
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    let unreachable = '';
    while (!this.stopped) {
      try {
        this.following = await this.o.source.follow((e) => {
          if (e.event === 'display-started') this.attach(e.qube);
          else this.detach(e.qube);
        });
        for (const q of await this.o.source.displays()) this.attach(q);
        await this.following.closed;
        if (!this.stopped) this.log('the daemon went away; waiting for it');
        unreachable = '';
      } catch (e) {
        this.following?.stop();
        // Said once while the daemon stays away, not once a second.
        const why = `cannot reach the daemon: ${(e as Error).message}`;
        if (!this.stopped && why !== unreachable) this.log(why);
        unreachable = why;
      }
      this.following = null;
      if (!this.stopped) await new Promise<void>((r) => ((this.wake = r), setTimeout(r, this.o.retryMs ?? 1000)));
    }
  }

  /** Shows a qube's windows (no-op while attached). */
  attach(qube: string): void {
    if (this.stopped || this.attached.has(qube)) return;
    const slot: Attached = { stream: null as unknown as Duplex, windows: null };
    this.attached.set(qube, slot);
    this.o.source.open(qube).then(
      (stream) => {
        if (this.attached.get(qube) !== slot) return void stream.destroy();
        slot.stream = stream;
        this.pump(qube, slot);
      },
      (e: unknown) => {
        this.log(`cannot open the display of ${qube}: ${(e as Error).message}`);
        if (this.attached.get(qube) === slot) this.attached.delete(qube);
      },
    );
  }

  private pump(qube: string, slot: Attached): void {
    const decoder = new Decoder('to-client');
    const send = (m: ClientMessage): void => {
      if (!slot.stream.destroyed) slot.stream.write(encode(m));
    };
    const fail = (why: string): void => {
      this.log(`display of ${qube}: ${why}`);
      slot.stream.destroy();
    };
    slot.stream.on('data', (chunk: Buffer) => {
      try {
        for (const m of decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
          if (m.kind === 'qube') {
            if (slot.windows) throw protocolError('qube', 'sent twice');
            if (m.name !== qube) throw protocolError('qube.name', `'${m.name}' on the stream of '${qube}'`);
            slot.windows = new QubeWindows(this.o.xc, m.name, m.colour, send, {
              added: (frame, owner, win) => this.input.add(frame, owner, win),
              removed: (frame) => this.input.remove(frame),
              painted: this.o.painted,
            });
            continue;
          }
          if (!slot.windows) throw protocolError(m.kind, 'before the QUBE message');
          slot.windows.handle(m as AgentMessage);
        }
      } catch (e) {
        fail((e as Error).message);
      }
    });
    slot.stream.on('error', (e) => this.log(`display of ${qube}: ${e.message}`));
    slot.stream.on('close', () => {
      slot.windows?.clear();
      if (this.attached.get(qube) === slot) this.attached.delete(qube);
      this.log(`display of ${qube} closed`);
    });
  }

  /** Takes a qube's windows off the screen. */
  detach(qube: string): void {
    const slot = this.attached.get(qube);
    if (!slot) return;
    this.attached.delete(qube);
    slot.windows?.clear();
    slot.stream?.destroy();
  }

  /** Ends every stream and takes every window off the screen; the X connection stays the caller's. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.following?.stop();
    this.wake?.();
    for (const q of [...this.attached.keys()]) this.detach(q);
    await this.loop;
    await this.o.xc.X.sync().catch(() => undefined);
  }
}
