// How a qube is shown by the API (ls, prefs): effective values, power state, class names.
import { effective, listProperties, QUBES_CLASS_NAME, type QubeRecord, type SystemView } from '../model/index.js';
import type { PowerState } from '../state/index.js';
import type { QubeView } from '../contract/common.js';
export type { QubeView };

export function viewQube(q: QubeRecord, sys: SystemView, state: PowerState): QubeView {
  const opt = (k: string) => {
    try {
      return effective(q, k, sys) as string | null;
    } catch {
      return null;
    }
  };
  return {
    name: q.name,
    klass: q.klass,
    qubesClass: QUBES_CLASS_NAME[q.klass],
    state,
    label: q.label,
    template: q.klass === 'app' || q.klass === 'disposable' ? opt('template') : null,
    netvm: opt('netvm'),
    qid: q.qid,
    uuid: q.uuid,
    tags: q.tags,
    features: q.features,
  };
}

export function viewProps(q: QubeRecord, sys: SystemView) {
  return listProperties(q, sys);
}
