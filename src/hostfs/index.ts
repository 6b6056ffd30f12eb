// Public surface of hostfs/: how the admin side reads from trees a qube can change.
export { safeReadFileSync, saferead, type SafeReadRefusal, type SafeReadResult } from './saferead.js';
