// Verb gui: the admin-side window service for one X display (Qubes' guid), in the foreground until SIGTERM; --stop ends it.
import { runGui, stopGui } from '../../desktop/index.js';

export function gui(o: { display?: string; stop?: boolean }): Promise<string> {
  return o.stop ? stopGui({ display: o.display }) : runGui({ display: o.display });
}
