// Public surface of storage/: templates (build, import), a qube's volumes and their revisions.
export * from './layout.js';
export { treeUsage, type TreeUsage } from './du.js';
export { shiftId, shiftTreeOwners, type UidShift } from './shift.js';
export * from './revisions.js';
export * from './volume.js';
