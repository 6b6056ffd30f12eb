// Where the native helpers (C programs and the Node-API addon built by native/Makefile) are found.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** native/build of this checkout, or BULKHEAD_NATIVE_DIR (a test may point elsewhere). */
export const NATIVE_BUILD = process.env.BULKHEAD_NATIVE_DIR ?? join(REPO, 'native', 'build');
