// Turns mmdebstrap's output lines into progress (phase, done, total); pure, fed line by line.

import type { Progress as BuildProgress } from '../contract/common.js';

/** Phase (`download`, `install`; `cache` when a cached tarball is used), work done out of `total` (100 units per phase; within a phase, packages counted). */
export type { BuildProgress };

/** mmdebstrap's `I:` lines that open each phase, in order. */
export const PHASES: readonly { phase: string; marker: RegExp }[] = [
  { phase: 'update', marker: /^I: running apt-get update/ },
  { phase: 'download', marker: /^I: downloading packages/ },
  { phase: 'extract', marker: /^I: extracting archives/ },
  { phase: 'essential', marker: /^I: installing essential packages/ },
  { phase: 'install', marker: /^I: installing remaining packages/ },
  { phase: 'customize', marker: /^I: running --customize-hook/ },
  { phase: 'tarball', marker: /^I: (cleaning package lists|creating tarball)/ },
  { phase: 'extract-root', marker: /(?!)/ }, // never matches: entered by buildTemplate while untarring
];

export const UNITS_PER_PHASE = 100;

/** Per-phase item lines: a download per `Get:`, a package per `Setting up`. */
const ITEM: Record<string, RegExp> = {
  download: /^Get:\d+ /,
  essential: /^Setting up /,
  install: /^Setting up /,
};

export class MmdebstrapProgress {
  private index = -1;
  private items = 0;
  private expected = 0;

  get total(): number {
    return PHASES.length * UNITS_PER_PHASE;
  }

  /** Feed one line; returns progress when it moved, else null. */
  line(raw: string): BuildProgress | null {
    const line = raw.replace(/\r$/, '');
    const next = PHASES.findIndex((p, i) => i > this.index && p.marker.test(line));
    if (next >= 0) {
      this.index = next;
      this.items = 0;
      return this.current();
    }
    const newly = /^\d+ upgraded, (\d+) newly installed/.exec(line);
    if (newly) {
      this.expected = Number(newly[1]);
      return null;
    }
    const phase = PHASES[this.index]?.phase;
    const item = phase ? ITEM[phase] : undefined;
    if (item && item.test(line)) {
      this.items += 1;
      return this.current();
    }
    return null;
  }

  /** Jump to a named phase (used for the steps after mmdebstrap). */
  enter(phase: string): BuildProgress {
    const i = PHASES.findIndex((p) => p.phase === phase);
    if (i >= 0) this.index = i;
    this.items = 0;
    return this.current();
  }

  finished(): BuildProgress {
    return { phase: 'done', done: this.total, total: this.total };
  }

  current(): BuildProgress {
    const i = Math.max(0, this.index);
    const frac = this.expected > 0 ? Math.min(0.99, this.items / this.expected) : 0;
    return {
      phase: PHASES[i]?.phase ?? 'start',
      done: i * UNITS_PER_PHASE + Math.floor(frac * UNITS_PER_PHASE),
      total: this.total,
    };
  }
}
