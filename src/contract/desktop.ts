// Contract of the desktop's routes: a qube's display (start, list, its binary stream) and the applications of its template.
import { z } from 'zod';
import { route } from './route.js';
import { nameParam } from './common.js';

/** The `Upgrade:` token of display streams; after 101 the stream carries display-protocol messages (docs/desktop-protocol.md). */
export const DISPLAY_UPGRADE = 'bulkhead-display';

export const displayInfo = z.object({ qube: z.string(), label: z.string(), colour: z.string().regex(/^#[0-9a-f]{6}$/) });
export type DisplayInfo = z.infer<typeof displayInfo>;

export const desktopApp = z.object({
  /** The .desktop file's name without `.desktop`. */
  id: z.string(),
  name: z.string(),
  /** The Exec line as an argv, field codes removed (no shell). */
  argv: z.array(z.string()).min(1),
  noDisplay: z.boolean(),
});
export type DesktopAppView = z.infer<typeof desktopApp>;
export const appsAnswer = z.object({
  template: z.string(),
  apps: z.array(desktopApp),
  /** Files refused (too large, a symlink, malformed), each with why. */
  skipped: z.array(z.object({ file: z.string(), why: z.string() })),
});

export const desktopRoutes = {
  'qubes.display': route({
    method: 'POST',
    path: '/qubes/:name/display',
    summary: "Start the qube's display (Xvfb and its agent) if it is not running; the display the qube's commands use",
    kind: 'json',
    params: nameParam,
    reply: z.object({ display: z.literal(':0') }),
  }),
  'displays.list': route({
    method: 'GET',
    path: '/displays',
    summary: 'The qubes whose display runs, with their label colour',
    kind: 'json',
    reply: z.object({ displays: z.array(displayInfo) }),
  }),
  'qubes.display.stream': route({
    method: 'GET',
    path: '/qubes/:name/display/stream',
    summary: `A qube's display as a binary stream: Upgrade: ${DISPLAY_UPGRADE}; then display-protocol messages (QUBE first) down, input up`,
    kind: 'upgrade',
    params: nameParam,
    reply: z.never(),
  }),
  'qubes.apps': route({
    method: 'GET',
    path: '/qubes/:name/apps',
    summary: "The desktop applications of the qube's template (its .desktop files)",
    kind: 'json',
    params: nameParam,
    reply: appsAnswer,
  }),
} as const;
