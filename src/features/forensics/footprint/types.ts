// The shape of one footprint entry: an artefact bulkhead itself leaves on the host, and when.
export type Layer = 'host' | 'kernel' | 'qube' | 'gateway' | 'workstation' | 'lab';

/**
 * When an artefact is present, so a running system can be checked against the table:
 * - `state`: once the state directory is in use (the daemon ran once);
 * - `daemon`: while the daemon runs;
 * - `qube`: for every qube with volumes; `own-root`: for every template and standalone;
 *   `app-root`: for every app qube and disposable;
 * - `running`: while the qube runs; `running-app`: while an app qube or disposable runs;
 * - `networked`: while a qube with a netvm runs; `gateway`, `workstation`: while one runs;
 * - `lab`: while the lab is up; `optional`: only in some configurations or after a crash.
 */
export type Presence =
  'state' | 'daemon' | 'qube' | 'own-root' | 'app-root' | 'running' | 'running-app' | 'networked' | 'gateway' | 'workstation' | 'lab' | 'optional';

/** Where the pattern is rooted: the state directory (relative pattern) or the host (absolute). */
export type Scope = 'state' | 'host' | 'kernel';

export interface Artefact {
  /** Stable id (kebab-case), used by tests and the docs. */
  id: string;
  layer: Layer;
  scope: Scope;
  /**
   * Path or pattern. `{qube}`, `{rev}`, `{prefix}`, `{id}` stand for one path segment (a qube's
   * name, a revision, the state directory's kernel prefix, any name); `**` below a directory is
   * everything inside it. State-scope patterns are relative to the state directory.
   */
  pattern: string;
  kind: 'file' | 'dir' | 'socket' | 'image-or-dir' | 'tree' | 'kernel';
  presence: Presence;
  /** What an examiner learns from it. */
  reveals: string;
  /** Survives `bulkhead remove` of the qube it belongs to (null: belongs to no qube). */
  survivesRemoval: boolean | null;
  survivesReboot: boolean;
  /** Encrypted at rest by bulkhead itself (a full-disk encryption below it is not counted). */
  encrypted: boolean;
  /** A command that shows it (placeholders as in the pattern). */
  show: string;
}
