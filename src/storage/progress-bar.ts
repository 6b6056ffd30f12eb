// Shows template-build progress on a stream: a cli-progress bar on a terminal, plain lines otherwise.
import cliProgress from 'cli-progress';
import type { BuildProgress } from './template-progress.js';

export interface ProgressReporter {
  update(p: BuildProgress): void;
  stop(): void;
}

/** A reporter for `stream` (stderr by default); pass `reporter.update` as `onProgress`. */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr, label = 'template'): ProgressReporter {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${label} {phase} [{bar}] {percentage}% | {duration}s`,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        if (!started) {
          bar.start(p.total, p.done, { phase: p.phase.padEnd(12) });
          started = true;
        } else bar.update(p.done, { phase: p.phase.padEnd(12) });
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let lastPhase = '';
  return {
    update(p) {
      if (p.phase === lastPhase) return;
      lastPhase = p.phase;
      stream.write(`${label}: ${p.phase} (${Math.floor((100 * p.done) / Math.max(1, p.total))}%)\n`);
    },
    stop() {},
  };
}
