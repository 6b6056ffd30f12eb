// The CLI's one progress display (template builds, backups): a cli-progress bar on a terminal, a line per phase otherwise.
import cliProgress from 'cli-progress';

import type { Progress } from '../contract/common.js';

/** Work done out of total, in a named phase. */
export type { Progress };

export interface ProgressReporter {
  update(p: Progress): void;
  stop(): void;
}

const MIB = 1024 * 1024;

/**
 * A reporter for `stream` (stderr by default). `bytes`: done and total count bytes, shown in MiB with the rate
 * since the first update; otherwise they are steps of work.
 */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr, label = 'template', o: { bytes?: boolean } = {}): ProgressReporter {
  if (stream.isTTY) {
    const format = o.bytes
      ? `${label} [{bar}] {percentage}% | {doneMiB}/{totalMiB} MiB | {rate} MB/s | {phase}`
      : `${label} {phase} [{bar}] {percentage}% | {duration}s`;
    const bar = new cliProgress.SingleBar({ stream, format, hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic);
    const started = Date.now();
    let running = false;
    const payload = (p: Progress) => ({
      phase: o.bytes ? p.phase : p.phase.padEnd(12),
      doneMiB: (p.done / MIB).toFixed(0),
      totalMiB: (p.total / MIB).toFixed(0),
      rate: (p.done / 1e6 / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(0),
    });
    return {
      update(p) {
        const total = Math.max(1, p.total);
        if (!running) {
          bar.start(total, p.done, payload(p));
          running = true;
        } else {
          bar.setTotal(total);
          bar.update(p.done, payload(p));
        }
      },
      stop() {
        if (running) bar.stop();
      },
    };
  }
  let lastPhase = '';
  return {
    update(p) {
      if (p.phase === lastPhase) return;
      lastPhase = p.phase;
      stream.write(`${label}: ${p.phase} (${Math.round((100 * p.done) / Math.max(1, p.total))}%)\n`);
    },
    stop() {},
  };
}
