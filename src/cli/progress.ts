// The CLI's one progress display (template builds, backups): a cli-progress bar on a terminal, a line per phase otherwise.
import cliProgress from 'cli-progress';
/** Work done out of total, in a named phase. */
export interface Progress { phase: string; done: number; total: number }

export interface ProgressReporter {
  update(p: Progress): void;
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
      stream.write(`${label}: ${p.phase} (${Math.round((100 * p.done) / Math.max(1, p.total))}%)\n`);
    },
    stop() {},
  };
}
