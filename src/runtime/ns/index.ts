// Public surface of runtime/ns: the crun-based qube runtime and its pure config builders.
export { createNsRuntime, type NsRuntimeOptions } from './runtime.js';
export { buildOciConfig, qubePaths, INIT_PATH_IN_QUBE, QUBE_USER_ID, type OciConfigOptions } from './oci-config.js';
export { qubeSeccompProfile, ALLOWED_SYSCALLS, DENIED_SYSCALLS, type SeccompProfile } from './seccomp.js';
export { qubeCaps, DEFAULT_CAPS, ADDABLE_CAPS } from './caps.js';
export { detectCgroupLayout, removeEmptyCgroupParent, type CgroupLayout } from './cgroups.js';
export { cgroupUsage, type CgroupUsage } from './usage.js';
