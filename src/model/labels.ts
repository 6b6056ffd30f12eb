// Qubes' eight trust colours; the index is Qubes' label index, the colour its hex value.
export const LABELS = {
  red: { index: 1, color: '#cc0000' },
  orange: { index: 2, color: '#f57900' },
  yellow: { index: 3, color: '#edd400' },
  green: { index: 4, color: '#73d216' },
  gray: { index: 5, color: '#555753' },
  blue: { index: 6, color: '#3465a4' },
  purple: { index: 7, color: '#75507b' },
  black: { index: 8, color: '#000000' },
} as const;

export type Label = keyof typeof LABELS;
export const LABEL_NAMES = Object.keys(LABELS) as Label[];

export function isLabel(v: unknown): v is Label {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(LABELS, v);
}
