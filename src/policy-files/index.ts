// Public surface of the policy file loader (effectful: reads the filesystem).
export { diskFiles, loadPolicyDirs, describeErrors } from './load.js';
