// Fills the template cache before the integration tests need it: the tarballs of the named template sets (mmdebstrap when missing).
// scripts/test runs it in the background while lint and unit tests run; a test's daemon that asks for a
// set still being built waits for that build (the cache's build lock) instead of starting its own.
import { cacheTemplate } from '../../src/storage/template-build.js';
import { TEST_CACHE } from './cache.js';

const names = process.argv.slice(2);
if (names.length === 0) {
  process.stderr.write('usage: warm-templates SET...  (sets: debian-12-gateway, debian-12-workstation, ...)\n');
  process.exit(2);
}
const results = await Promise.allSettled(
  names.map(async (n) => {
    const t0 = performance.now();
    const r = await cacheTemplate(n, { cacheDir: TEST_CACHE });
    process.stdout.write(`warm-templates: ${n} ${r.fromCache ? 'was cached' : `built in ${((performance.now() - t0) / 1000).toFixed(0)} s`} (${r.tarball})\n`);
  }),
);
const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${names[i]}: ${(r.reason as Error).message}`] : []));
for (const f of failed) process.stderr.write(`warm-templates: ${f}\n`);
process.exit(failed.length ? 1 : 0);
