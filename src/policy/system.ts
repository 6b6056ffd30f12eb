// A prepared view of the system snapshot: dom0 implied, qubes found by name or uuid, tags as sets.
import type { QubeClass, SystemQube, SystemSnapshot } from './types.js';

export interface PolicyQube {
  readonly name: string;
  readonly qubesType: string;
  readonly admin: boolean;
  readonly tags: ReadonlySet<string>;
  readonly running: boolean;
  readonly defaultDispvm: string | null;
  readonly dispvmTemplate: boolean;
  readonly internal: boolean;
}

export interface SystemView {
  readonly qubes: ReadonlyMap<string, PolicyQube>;
  readonly byUuid: ReadonlyMap<string, string>;
  /** Qubes in snapshot order (dom0 first when implied), for building ask candidates. */
  readonly list: readonly PolicyQube[];
}

/** Qubes' type names for bulkhead's classes (`@type:` tokens). */
export const QUBES_TYPE: Record<QubeClass, string> = {
  app: 'AppVM',
  template: 'TemplateVM',
  standalone: 'StandaloneVM',
  disposable: 'DispVM',
  admin: 'AdminVM',
};

const DOM0: SystemQube = {
  class: 'admin',
  tags: [],
  running: true,
  default_dispvm: null,
  template_for_dispvms: false,
  internal: false,
  uuid: '00000000-0000-0000-0000-000000000000',
};

const cache = new WeakMap<SystemSnapshot, SystemView>();

export function viewOf(snapshot: SystemSnapshot): SystemView {
  const hit = cache.get(snapshot);
  if (hit) return hit;
  const qubes = new Map<string, PolicyQube>();
  const byUuid = new Map<string, string>();
  const list: PolicyQube[] = [];
  const add = (name: string, q: SystemQube): void => {
    // dom0 is the admin qube whatever the snapshot says.
    const admin = name === 'dom0' || q.class === 'admin';
    const v: PolicyQube = {
      name,
      qubesType: admin ? 'AdminVM' : QUBES_TYPE[q.class],
      admin,
      tags: new Set(q.tags),
      running: admin ? true : q.running,
      defaultDispvm: q.default_dispvm ?? null,
      dispvmTemplate: q.template_for_dispvms,
      internal: q.internal,
    };
    qubes.set(name, v);
    list.push(v);
    if (q.uuid) byUuid.set(q.uuid.toLowerCase(), name);
  };
  const own = Object.prototype.hasOwnProperty;
  if (!own.call(snapshot.qubes, 'dom0')) add('dom0', DOM0);
  for (const name of Object.keys(snapshot.qubes)) add(name, snapshot.qubes[name]!);
  const view = { qubes, byUuid, list };
  cache.set(snapshot, view);
  return view;
}

/** The qube a name or `uuid:` reference points to, if it exists. */
export function lookup(sys: SystemView, ref: string): PolicyQube | undefined {
  if (ref.startsWith('uuid:')) {
    const name = sys.byUuid.get(ref.slice(5).toLowerCase());
    return name === undefined ? undefined : sys.qubes.get(name);
  }
  return sys.qubes.get(ref);
}
