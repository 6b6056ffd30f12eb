// Public surface of gateway-proxy/: the control-port filter server that runs inside a gateway qube.
export { startControlFilter, MAX_QUEUED, MAX_UNREAD, type ControlFilter, type ControlFilterOptions } from './server.js';
export { connectTor, MAX_TOR_REPLY, type TorConnection } from './tor-control.js';
export { loadProfile } from './profile-file.js';
export { ReplyReader } from './reply-reader.js';
