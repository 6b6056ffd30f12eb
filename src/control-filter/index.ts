// Public surface of control-filter/: the control-port filter between workstations and the tor of their gateway (Whonix's onion-grater).
export { startControlFilter, MAX_QUEUED, MAX_TOR_REPLY, MAX_UNREAD, type ControlFilter, type ControlFilterOptions } from './server.js';
export { loadProfile } from './profile-file.js';
