// Test-only display source: stands for the daemon, sending real encoded protocol messages over a Unix socket to the window service.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { Decoder, encode, type ClientMessage, type Message } from '../../../src/desktop/protocol/index.js';
import type { DisplayEvent, DisplaySource, Following } from '../../../src/desktop/source.js';

interface FakeQube {
  colour: number;
  /** The daemon's end of the stream while the service is attached. */
  peer: net.Socket | null;
  received: ClientMessage[];
}

export class FakeDisplays implements DisplaySource {
  readonly qubes = new Map<string, FakeQube>();
  readonly clipboardCalls: string[] = [];
  private listeners = new Set<(e: DisplayEvent) => void>();
  private ends = new Set<() => void>();
  private readonly dir = mkdtempSync(`/tmp/${process.env.BULKHEAD_TEST_RUN ?? 'bht'}-dsrc-`);
  private server: net.Server | null = null;
  private waiting: ((s: net.Socket) => void)[] = [];
  opens = 0;

  private async listen(): Promise<string> {
    const path = join(this.dir, 's');
    if (!this.server) {
      this.server = net.createServer((s) => this.waiting.shift()?.(s));
      await new Promise<void>((r) => this.server!.listen(path, r));
    }
    return path;
  }

  add(name: string, colour: number, announce = true): void {
    this.qubes.set(name, { colour, peer: null, received: [] });
    if (announce) for (const l of this.listeners) l({ event: 'display-started', qube: name });
  }

  remove(name: string): void {
    this.qubes.get(name)?.peer?.destroy();
    this.qubes.delete(name);
    for (const l of this.listeners) l({ event: 'display-stopped', qube: name });
  }

  /** Ends the event stream, as a daemon restart does. */
  restart(): void {
    for (const e of this.ends) e();
    this.ends.clear();
    this.listeners.clear();
    for (const q of this.qubes.values()) q.peer?.destroy();
  }

  send(qube: string, ...msgs: Message[]): void {
    const q = this.qubes.get(qube);
    if (!q?.peer) throw new Error(`${qube} is not attached`);
    for (const m of msgs) q.peer.write(encode(m));
  }

  sendRaw(qube: string, bytes: Uint8Array): void {
    this.qubes.get(qube)!.peer!.write(bytes);
  }

  attached(qube: string): boolean {
    return !!this.qubes.get(qube)?.peer && !this.qubes.get(qube)!.peer!.destroyed;
  }

  async displays(): Promise<string[]> {
    return [...this.qubes.keys()];
  }

  async follow(onEvent: (e: DisplayEvent) => void): Promise<Following> {
    this.listeners.add(onEvent);
    let end!: () => void;
    const closed = new Promise<void>((r) => (end = r));
    this.ends.add(end);
    return { closed, stop: () => (this.listeners.delete(onEvent), end()) };
  }

  async open(name: string): Promise<Duplex> {
    const q = this.qubes.get(name);
    if (!q) throw new Error(`no display for ${name}`);
    const path = await this.listen();
    const accepted = new Promise<net.Socket>((r) => this.waiting.push(r));
    const client = net.createConnection(path);
    const peer = await accepted;
    this.opens++;
    q.peer = peer;
    const decoder = new Decoder('from-client');
    peer.on('data', (c: Buffer) => q.received.push(...(decoder.push(new Uint8Array(c)) as ClientMessage[])));
    peer.on('error', () => undefined);
    peer.write(encode({ kind: 'qube', window: 0, name, colour: q.colour }));
    return client;
  }

  async clipboard(action: 'copy' | 'paste', qube: string): Promise<void> {
    this.clipboardCalls.push(`${action} ${qube}`);
  }

  close(): void {
    this.restart();
    this.server?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
