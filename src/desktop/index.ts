// The admin-side window service (Qubes' guid): qubes' windows on the admin's X display, framed and titled by the admin side.
export { ensureWindowService } from './ensure.js';
export { runGui, stopGui, displayToServe } from './gui.js';
export { WindowService, type WindowServiceOptions } from './service.js';
export { apiDisplaySource, DISPLAY_UPGRADE } from './api-source.js';
export type { DisplaySource, DisplayEvent, Following } from './source.js';
export { openDisplay, type XConnection } from './x11/connection.js';
export { FRAME_PX, LABEL_COLOURS, placeWindow } from './window/frame.js';
export { composeTitle } from './window/title.js';
