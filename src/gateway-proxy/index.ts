// Public surface of gateway-proxy/: the control-port filter server that runs inside a gateway qube.
export { startControlFilter, type ControlFilter, type ControlFilterOptions } from './server.js';
export { connectTor, type TorConnection } from './tor-control.js';
export { loadProfile } from './profile-file.js';
export { ReplyReader } from './reply-reader.js';
