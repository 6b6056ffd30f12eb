// Acquisition of a qube: artefacts, process memory through /proc/PID/mem, manifest; and its route.
export { acquireQube, type AcquireManifest, type Artefact } from './acquire.js';
export { forensicsAcquireRoutes } from './routes.js';
export { copyHashed, hashFile } from './copy-hash.js';
