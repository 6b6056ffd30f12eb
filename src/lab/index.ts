// Public surface of lab/: the sealed lab world (up, down, status, uplinks and attached hosts, the sealing check).
export { labUp } from './up.js';
export { labDown, type LabDownReport } from './down.js';
export { labStatus, type LabStatus, type LabHostStatus } from './status.js';
export { labAttachUplink, labDetachUplink, labAttachHost, type LabUplink, type LabAttachedHost } from './attach.js';
export { labCheckSealed } from './seal.js';
export { CA_CERT } from './ca.js';
export { LAB_PAGE_MARKER } from './web-server.js';
export { labStateDir, readLabState, type LabState } from './state.js';
export { labTorUp, labTorDown, labTorRunning, LAB_TOR_ADDRESSES, TOR_INFO_FILE } from './tor-world.js';
