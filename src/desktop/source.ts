// What the window service needs from the daemon, as an interface: the admin API gives the real one, tests may give their own.
import type { Duplex } from 'node:stream';
import type { ClipboardAction } from './window/keys.js';

export interface DisplayEvent {
  event: 'display-started' | 'display-stopped';
  qube: string;
}

export interface Following {
  /** Settles when the event stream ends (the daemon stopped or restarted). */
  closed: Promise<void>;
  stop(): void;
}

export interface DisplaySource {
  /** Qubes whose display runs now. */
  displays(): Promise<string[]>;
  /** Follows display-started and display-stopped until the stream ends. */
  follow(onEvent: (e: DisplayEvent) => void): Promise<Following>;
  /** The binary display stream of a qube (docs/desktop-protocol.md): the daemon's QUBE message first, then its windows. */
  open(qube: string): Promise<Duplex>;
  /** Ctrl-Shift-C / Ctrl-Shift-V: the daemon's global clipboard, under its policy. */
  clipboard(action: ClipboardAction, qube: string): Promise<void>;
}
