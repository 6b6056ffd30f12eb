// Public surface of backup/: bulkhead's encrypted, authenticated backups (format, create, restore, verify, API routes).
export * from './format.js';
export { parseManifest, entryName, type Manifest, type ManifestEntry, type ManifestQube } from './manifest.js';
export { BackupReader, type EntrySink, type ReadProgress } from './reader.js';
export { BackupWriter, type WriterOptions } from './writer.js';
export { planRestore, selectForBackup, conflictName, type ConflictMode, type RestorePlan } from './plan.js';
export { backupRoutes } from './routes.js';
export { backup } from './feature.js';
