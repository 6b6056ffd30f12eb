// Benchmark of the residue scan (raw image streamed through the matcher) and of acquisition's hashed copy of a 2 GiB private volume image; writes bench/results/forensics-residue.json.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, closeSync, readFileSync, rmSync, writeSync, writeFileSync, ftruncateSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { scanDevice } from '../src/features/forensics/residue/device.js';
import { copyHashed } from '../src/features/forensics/acquire/copy-hash.js';

const RUN = process.env.BULKHEAD_TEST_RUN ?? 'bhb';
const GIB = 1024 * 1024 * 1024;
const SIZE = Number(process.env.BENCH_IMAGE_GIB ?? 2) * GIB;
const DATA = Number(process.env.BENCH_DATA_GIB ?? 1) * GIB;
const img = `/var/tmp/${RUN}-residue-bench.img`;
const copy = `/var/tmp/${RUN}-residue-bench-copy.img`;

/** An image of SIZE bytes: DATA bytes of random data (16 MiB blocks, a canary planted in one), the rest a hole. */
function makeImage(): Buffer {
  const needle = Buffer.from(`BH-RESIDUE-D-${randomBytes(16).toString('hex')}`);
  const fd = openSync(img, 'wx', 0o600);
  const block = randomBytes(16 * 1024 * 1024);
  for (let off = 0; off < DATA; off += block.length) writeSync(fd, block, 0, block.length, off);
  writeSync(fd, needle, 0, needle.length, DATA / 2 + 12345);
  ftruncateSync(fd, SIZE);
  closeSync(fd);
  spawnSync('sync', ['-f', img]);
  return needle;
}

async function main(): Promise<void> {
  const load0 = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  try {
    const needle = makeImage();
    const scans: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const r = await scanDevice(img, [needle, Buffer.from(`BH-RESIDUE-C-${randomBytes(16).toString('hex')}`)]);
      scans.push(r.bytes / ((performance.now() - t0) / 1000) / 1e6);
      if (r.counts[0] !== 1) throw new Error(`planted canary found ${r.counts[0]} times`);
    }
    const copies: number[] = [];
    for (let i = 0; i < 2; i++) {
      rmSync(copy, { force: true });
      const t0 = performance.now();
      const c = await copyHashed(img, copy);
      copies.push(c.bytes / ((performance.now() - t0) / 1000) / 1e6);
    }
    const best = (xs: number[]) => Number(Math.max(...xs).toFixed(0));
    const med = (xs: number[]) => Number([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(0));
    const result = {
      benchmark: 'residue scan and acquisition copy of an image file (page cache warm after the first round)',
      imageBytes: SIZE,
      dataBytes: DATA,
      loadavgBefore: load0,
      loadavgAfter: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
      scanMBs: scans.map((x) => Number(x.toFixed(0))),
      copyMBs: copies.map((x) => Number(x.toFixed(0))),
      summary: [
        {
          metric: `residue scan of a ${SIZE / GIB} GiB image (${DATA / GIB} GiB data), two canaries, median / best of 3`,
          value: `${med(scans)} / ${best(scans)}`,
          unit: 'MB/s',
          target: '≥ 500 MB/s',
          meets: med(scans) >= 500,
        },
        {
          metric: `acquisition: hashed sparse copy of a ${SIZE / GIB} GiB private image, median / best of 2`,
          value: `${med(copies)} / ${best(copies)}`,
          unit: 'MB/s',
          target: '≥ 200 MB/s',
          meets: med(copies) >= 200,
        },
      ],
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(new URL('./results/forensics-residue.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    rmSync(img, { force: true });
    rmSync(copy, { force: true });
  }
}

await main();
