// Public surface of native/: the TypeScript side of the native helpers (their build directory, the peer-credential addon).
export { NATIVE_BUILD } from './paths.js';
export { peerCred, peerInRange, requirePeerCred, type PeerCred, type UidRange } from './peer.js';
