// One qube's display in the page: the WebSocket to the daemon, the checked window table, pixels drawn straight onto each window's canvas.
import { Decoder, WindowTable, encode, type AgentMessage, type ClientMessage, type WindowState } from '../../../src/desktop/protocol/index';
import { bgrxToRgba } from '../../../src/desktop/page/input';
import { composeTitle } from '../../../src/desktop/window/title';

export interface WindowView extends WindowState {
  /** Shown as text, `[NAME] ` + the qube's title: the name comes from the daemon, never from the qube. */
  shownTitle: string;
}

export interface DisplaySnapshot {
  qube: string | null;
  /** `#rrggbb` from the daemon's QUBE message. */
  colour: string | null;
  screen: { width: number; height: number } | null;
  windows: WindowView[];
  /** Why the stream ended, when it did. */
  ended: string | null;
}

export class DisplaySession {
  private readonly decoder = new Decoder('to-client');
  private readonly table = new WindowTable();
  private readonly canvases = new Map<number, HTMLCanvasElement>();
  private readonly ws: WebSocket;
  private qube: string | null = null;
  private colour: string | null = null;
  private ended: string | null = null;

  constructor(
    name: string,
    private readonly onChange: (s: DisplaySnapshot) => void,
  ) {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    this.ws = new WebSocket(`${proto}//${location.host}/api/qubes/${encodeURIComponent(name)}/display/ws`);
    this.ws.binaryType = 'arraybuffer';
    this.ws.onmessage = (e) => {
      if (e.data instanceof ArrayBuffer) this.receive(new Uint8Array(e.data));
    };
    this.ws.onclose = (e) => this.finish(e.reason || `the display stream closed (${e.code})`);
  }

  snapshot(): DisplaySnapshot {
    const windows = [...this.table.windows.values()].map((w) => ({ ...w, shownTitle: composeTitle(this.qube ?? '?', w.title) }));
    return { qube: this.qube, colour: this.colour, screen: this.table.screen, windows, ended: this.ended };
  }

  /** The view hands each window's canvas over when it mounts (null when it goes); pixels for it are asked for again. */
  canvas(win: number, c: HTMLCanvasElement | null): void {
    if (!c) {
      this.canvases.delete(win);
      return;
    }
    if (this.canvases.get(win) === c) return;
    this.canvases.set(win, c);
    this.send({ kind: 'redraw', window: 0 });
  }

  send(m: ClientMessage): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encode(m));
  }

  close(): void {
    this.ws.close(1000, 'closed by the page');
  }

  private receive(bytes: Uint8Array): void {
    try {
      let changed = false;
      for (const m of this.decoder.push(bytes)) {
        if (m.kind === 'qube') {
          this.qube = m.name;
          this.colour = `#${m.colour.toString(16).padStart(6, '0')}`;
          changed = true;
          continue;
        }
        const am = m as AgentMessage;
        // The daemon checked these already; the table checks again, so the page never draws outside a window it knows.
        this.table.apply(am);
        if (am.kind === 'pixels') this.draw(am);
        else changed = true;
      }
      if (changed) this.onChange(this.snapshot());
    } catch (e) {
      this.ws.close(4000, 'bad display stream');
      this.finish(e instanceof Error ? e.message : String(e));
    }
  }

  private draw(m: Extract<AgentMessage, { kind: 'pixels' }>): void {
    const c = this.canvases.get(m.window);
    const g = c?.getContext('2d');
    if (!c || !g || m.width === 0 || m.height === 0) return;
    const img = g.createImageData(m.width, m.height);
    bgrxToRgba(m.data, img.data);
    g.putImageData(img, m.x, m.y);
  }

  private finish(reason: string): void {
    if (this.ended) return;
    this.ended = reason;
    this.onChange(this.snapshot());
  }
}
