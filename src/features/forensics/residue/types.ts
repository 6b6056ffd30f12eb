// The residue proof's request and report (shared by the daemon route and the CLI).

export const PLACES = ['state', 'tmp', 'journal', 'device'] as const;
export type Place = (typeof PLACES)[number];

export interface ResidueRequest {
  /** Disposable template (default: the global default_dispvm). */
  template?: string;
  /** What to scan (default: all). */
  places?: Place[];
  /** A device or image to scan raw instead of the state directory's own. */
  device?: string;
  /** Bytes of canary per place written in the disposable (default 256 KiB). */
  bytes?: number;
}

export interface ReportedHit {
  canary: 'disposable' | 'control';
  /** A file (path) or the raw device (device + offset). */
  path?: string;
  device?: string;
  offset: number;
}

export interface PlaceScan {
  place: Place | 'var-tmp' | 'crun';
  root: string;
  scanned: boolean;
  /** Why it was not scanned, or what was scanned. */
  note: string;
  files: number;
  bytes: number;
  seconds: number;
  /** Hits of the disposable's canary and of the control canary. */
  counts: { disposable: number; control: number };
  hits: ReportedHit[];
  skipped: { path: string; why: string }[];
}

export interface ResidueReport {
  disposable: { name: string; template: string; amnesic: boolean };
  /** SHA-256 of the canaries (the canaries themselves are never written anywhere). */
  canarySha256: string;
  controlSha256: string;
  writes: { place: string; ok: boolean; detail?: string }[];
  swap: string;
  scans: PlaceScan[];
  /** Whether the disposable's canary was found anywhere; whether the control was found on the raw device (null: no raw scan). */
  found: boolean;
  controlFound: boolean | null;
  seconds: number;
}
