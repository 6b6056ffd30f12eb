// A qube as the admin side stores it, and the system view that property defaults read.
import type { QubeClass } from './classes.js';
import type { Label } from './labels.js';

export type PropValue = string | number | boolean | null;

export interface QubeRecord {
  name: string;
  uuid: string;
  /** Qubes' qid: a small number unique among live qubes; derives the uid range and address. */
  qid: number;
  klass: QubeClass;
  label: Label;
  /** Only the values set explicitly; defaults come from the property table. */
  props: Record<string, PropValue>;
  tags: string[];
  features: Record<string, string>;
  createdAt: string;
}

export interface SystemView {
  qubes: ReadonlyMap<string, QubeRecord>;
  globals: Readonly<Record<string, PropValue>>;
}
