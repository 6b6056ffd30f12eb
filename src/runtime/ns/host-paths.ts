// Host places of the ns runtime outside the state directory: crun's state root and the qubes' parent cgroup.
/** crun's state root: one directory per container (its id), while it exists. */
export const CRUN_STATE_ROOT = '/run/crun';
/** Parent cgroup of every qube: `CGROUP_PARENT/<crun id>`. */
export const CGROUP_PARENT = '/bulkhead';
