// Public surface of backup/qubes/: reading and checking Qubes OS v4 backups (format, keys, archives, qubes.xml) and planning their restore.
export { QubesBackupError } from './errors.js';
export { parseBackupHeader, chunkPassphrase, headerPassphrase, type BackupHeader } from './header.js';
export { parseScryptHeader, openScryptFile, deriveKey, type ScryptParams } from './scrypt-file.js';
export { indexOuterTar, type OuterMember } from './outer-tar.js';
export { layoutOf, type BackupLayout, type Chunk } from './chunks.js';
export { InnerTarParser, type InnerSink } from './inner-tar.js';
export { parseQubesXml, MAX_XML_BYTES, type QubesDomain, type QubesXml } from './qubes-xml.js';
export { parseFirewallXml } from './firewall-xml.js';
export { planRestore, type HostView, type PlannedQube, type RestorePlan, type NetvmChoice } from './plan.js';
export { openQubesBackup, readBackedUpFile, fileSink, memorySink, type OpenBackup } from './archive.js';
export { extractHome, adoptHome } from './home.js';
