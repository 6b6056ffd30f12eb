// The residue proof: the streaming matcher, the scans of files and raw devices, the procedure and its route.
export { createMatcher, type Hit, type Matcher } from './matcher.js';
export { scanHandle, scanRanges, type StreamScan } from './stream-scan.js';
export { scanTree, type TreeScan } from './walk.js';
export { ownDevice, scanDevice, mountAt } from './device.js';
export { runResidue } from './procedure.js';
export { forensicsResidueRoutes } from './routes.js';
export { PLACES, type Place, type ResidueReport, type ResidueRequest } from './types.js';
