// The display protocol between a qube's display agent, the daemon and display clients (docs/desktop-protocol.md).
export * from './types.js';
export { encode } from './encode.js';
export { Decoder, cleanText, parseBody, protocolError } from './decode.js';
export { WindowTable, type WindowState } from './windows.js';
