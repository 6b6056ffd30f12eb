// The windows an agent has announced, so each message is checked against what exists (ids, rectangles, counts).
import { LIMITS, type AgentMessage, type Rect } from './types.js';
import { protocolError } from './decode.js';

export interface WindowState extends Rect {
  window: number;
  popup: boolean;
  fullscreen: boolean;
  transientFor: number;
  mapped: boolean;
  title: string;
}

export class WindowTable {
  readonly windows = new Map<number, WindowState>();
  screen: { width: number; height: number } | null = null;

  /** Checks `m` against the windows so far and applies it; throws ERR_DISPLAY_PROTOCOL naming the field. */
  apply(m: AgentMessage): void {
    if (m.kind === 'hello') {
      if (this.screen) throw protocolError('hello', 'sent twice');
      this.screen = { width: m.screenWidth, height: m.screenHeight };
      return;
    }
    if (!this.screen) throw protocolError(m.kind, 'before hello');
    if (m.kind === 'create') {
      if (this.windows.has(m.window)) throw protocolError('create.window', `${m.window} exists`);
      if (this.windows.size >= LIMITS.maxWindows) throw protocolError('create', `more than ${LIMITS.maxWindows} windows`);
      if (m.transientFor !== 0 && !this.windows.has(m.transientFor)) throw protocolError('create.transientFor', `${m.transientFor} is not a window`);
      const { kind: _k, ...rest } = m;
      this.windows.set(m.window, { ...rest, mapped: false, title: '' });
      return;
    }
    const w = this.windows.get(m.window);
    if (!w) throw protocolError(`${m.kind}.window`, `${m.window} is not a window`);
    switch (m.kind) {
      case 'configure':
        Object.assign(w, { x: m.x, y: m.y, width: m.width, height: m.height });
        return;
      case 'map':
      case 'unmap':
        w.mapped = m.kind === 'map';
        return;
      case 'destroy':
        this.windows.delete(m.window);
        for (const o of this.windows.values()) if (o.transientFor === m.window) o.transientFor = 0;
        return;
      case 'title':
        w.title = m.title;
        return;
      case 'pixels':
        if (m.x + m.width > w.width || m.y + m.height > w.height) {
          throw protocolError('pixels', `rectangle ${m.width}x${m.height}+${m.x}+${m.y} is outside the ${w.width}x${w.height} window`);
        }
        return;
    }
  }
}
