// Small display helpers: sizes, percentages, times; the label colours as CSS classes (no inline style).

export const LABELS = ['red', 'orange', 'yellow', 'green', 'gray', 'blue', 'purple', 'black'] as const;

/** A CSS class of a label's colour; anything unknown falls back to gray. */
export const labelClass = (label: string): string => `label-${(LABELS as readonly string[]).includes(label) ? label : 'gray'}`;

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

export const percent = (p: number | null | undefined): string => (p === null || p === undefined ? '–' : `${p.toFixed(p < 10 ? 1 : 0)} %`);

export const clock = (iso: string): string => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour12: false });
};

export function secondsLeft(iso: string, now: number): number {
  return Math.max(0, Math.round((new Date(iso).getTime() - now) / 1000));
}
