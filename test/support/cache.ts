// Where the tests find cached artefacts: BULKHEAD_CACHE (a fresh directory in a cold-cache CI run), else /var/cache/bulkhead.
import { join } from 'node:path';

export const TEST_CACHE = process.env.BULKHEAD_CACHE ?? '/var/cache/bulkhead';

/** The Debian 12 tarball scripts/test-rootfs makes; tests import it as the debian-12 template. */
export const TEST_TARBALL = join(TEST_CACHE, 'test-debian-12.tar');

/** The tarball extracted once for the runtime tests; under the cache when one is named, so a cold run starts empty. */
export const TEST_ROOTFS_PARENT = process.env.BULKHEAD_CACHE ? join(process.env.BULKHEAD_CACHE, 'test-rootfs') : '/var/tmp/bulkhead-test-rootfs';

/** The Debian 12 tarball with the small X11 desktop set (scripts/test-rootfs): the desktop tests import it. */
export const TEST_DESKTOP_TARBALL = join(TEST_CACHE, 'test-desktop-debian-12.tar');
