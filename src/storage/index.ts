// Public surface of storage/: templates (build, import), a qube's volumes and their revisions.
export * from './layout.js';
export { treeUsage, type TreeUsage } from './du.js';
export { shiftId, shiftTreeOwners, type UidShift } from './shift.js';
export * from './revisions.js';
export * from './volume.js';
export * from './template-root.js';
export * from './template-sets.js';
export * from './template-progress.js';
export { QUBE_USER, withUser, type UserEntry, type AccountTexts } from './passwd.js';
export { ensureLayout, extractTarball, importTemplate, installRoot, validateRootfs, type ImportResult, type InstallOptions } from './template.js';
export {
  DEFAULT_CACHE_DIR,
  buildTemplate,
  cachedTarball,
  cleanCache,
  hostMirror,
  mmdebstrapArgs,
  type BuildOptions,
  type BuildResult,
} from './template-build.js';
export { durableRename, exists, isDir, mkdirOwned, randomSuffix } from './fsops.js';
export { isImage, waitImageReleased, withImageMounted } from './image.js';
