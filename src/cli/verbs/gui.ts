// Verb gui: the admin-side window service for one X display (Qubes' guid), in the foreground until SIGTERM.
import { runGui } from '../../desktop/index.js';

export function gui(o: { display?: string }): Promise<string> {
  return runGui({ display: o.display });
}
