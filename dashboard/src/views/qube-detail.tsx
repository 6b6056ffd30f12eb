// One qube's details: properties, tags and features edited through the daemon's validation (errors at the field), clone and remove.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Prop, type Qube } from '../api';
import { labelClass } from '../format';

const show = (v: Prop['value']) => (v === null ? 'none' : String(v));
/** Set at creation, never edited (the daemon refuses them too). */
const FIXED = new Set(['name', 'klass', 'uuid', 'qid']);

function PropRow({ qube, p, onSaved }: { qube: string; p: Prop; onSaved: () => void }) {
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState(show(p.value));
  const [error, setError] = useState<string | null>(null);
  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await api.setPref(qube, p.name, value);
      setEditing(false);
      onSaved();
    } catch (err) {
      setError((err as ApiError).message);
    }
  };
  const reset = async () => {
    setError(null);
    try {
      await api.resetPref(qube, p.name);
      onSaved();
    } catch (err) {
      setError((err as ApiError).message);
    }
  };
  return (
    <tr data-prop={p.name}>
      <td class="mono">{p.name}</td>
      <td colSpan={editing ? 2 : 1}>
        {editing ? (
          <form class="inline edit" onSubmit={(e) => void save(e)}>
            <input value={value} onInput={(e) => setValue(e.currentTarget.value)} autoFocus class={error ? 'invalid' : ''} />
            <button class="primary" type="submit">
              Save
            </button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </form>
        ) : (
          <span class={p.isDefault ? 'muted' : ''}>
            {show(p.value)}
            {p.isDefault ? ' (default)' : ''}
          </span>
        )}
        {error ? (
          <div class="field-error" data-field-error={p.name}>
            {error}
          </div>
        ) : null}
      </td>
      {editing ? null : (
        <td class="actions">
          {!FIXED.has(p.name) ? <button onClick={() => setEditing(true)}>Edit</button> : null}
          {!p.isDefault && !FIXED.has(p.name) ? <button onClick={() => void reset()}>Reset</button> : null}
        </td>
      )}
    </tr>
  );
}

function KeyValueEditor({ qube, features, onSaved }: { qube: Qube; features: Record<string, string>; onSaved: () => void }) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const add = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await api.setFeature(qube.name, key, value);
      setKey('');
      setValue('');
      onSaved();
    } catch (err) {
      setError((err as ApiError).message);
    }
  };
  return (
    <div>
      <table class="kv">
        <tbody>
          {Object.entries(features).map(([k, v]) => (
            <tr key={k}>
              <td class="mono">{k}</td>
              <td>{v}</td>
              <td class="actions">
                <button onClick={() => void api.removeFeature(qube.name, k).then(onSaved, (err: ApiError) => setError(err.message))}>Remove</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="inline" onSubmit={(e) => void add(e)}>
        <input placeholder="feature" value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        <input placeholder="value" value={value} onInput={(e) => setValue(e.currentTarget.value)} />
        <button type="submit">Set</button>
      </form>
      {error ? <div class="field-error">{error}</div> : null}
    </div>
  );
}

function Tags({ qube, onSaved }: { qube: Qube; onSaved: () => void }) {
  const [tag, setTag] = useState('');
  const [error, setError] = useState<string | null>(null);
  const add = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await api.addTag(qube.name, tag);
      setTag('');
      onSaved();
    } catch (err) {
      setError((err as ApiError).message);
    }
  };
  return (
    <div>
      <div class="chips">
        {qube.tags.map((t) => (
          <span class="chip" key={t}>
            {t}
            <button class="x" title={`remove ${t}`} onClick={() => void api.removeTag(qube.name, t).then(onSaved, (err: ApiError) => setError(err.message))}>
              ×
            </button>
          </span>
        ))}
        {qube.tags.length === 0 ? <span class="muted">no tags</span> : null}
      </div>
      <form class="inline" onSubmit={(e) => void add(e)}>
        <input placeholder="tag" value={tag} onInput={(e) => setTag(e.currentTarget.value)} data-testid="tag-input" />
        <button type="submit">Add tag</button>
      </form>
      {error ? <div class="field-error">{error}</div> : null}
    </div>
  );
}

export function QubeDetail({ qube, onClose, onChanged }: { qube: Qube; qubes: Qube[]; onClose: () => void; onChanged: () => void }) {
  const [props, setProps] = useState<Prop[]>([]);
  const [cloneName, setCloneName] = useState('');
  const [withData, setWithData] = useState(false);
  const [error, setError] = useState<{ where: string; message: string } | null>(null);
  const load = () =>
    void api
      .prefs(qube.name)
      .then(setProps)
      .catch((e: ApiError) => setError({ where: 'props', message: e.message }));
  useEffect(load, [qube.name, qube.state, qube.label, qube.netvm, qube.template]);
  const saved = () => {
    load();
    onChanged();
  };
  const clone = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await api.clone(qube.name, cloneName);
      setCloneName('');
      onChanged();
    } catch (err) {
      setError({ where: 'clone', message: (err as ApiError).message });
    }
  };
  const remove = async () => {
    setError(null);
    try {
      await api.remove(qube.name, withData);
      onClose();
      onChanged();
    } catch (err) {
      setError({ where: 'remove', message: (err as ApiError).message });
    }
  };
  return (
    <aside class="panel detail" data-testid="qube-detail">
      <div class={`detail-head ${labelClass(qube.label)}`}>
        <h2>{qube.name}</h2>
        <span>
          {qube.qubesClass} · {qube.state}
        </span>
        <span class="grow" />
        <button class="ghost" onClick={onClose}>
          Close
        </button>
      </div>
      <h3>Properties</h3>
      <table class="props">
        <tbody>
          {props.map((p) => (
            <PropRow key={p.name} qube={qube.name} p={p} onSaved={saved} />
          ))}
        </tbody>
      </table>
      {error?.where === 'props' ? <div class="field-error">{error.message}</div> : null}
      <h3>Tags</h3>
      <Tags qube={qube} onSaved={saved} />
      <h3>Features</h3>
      <KeyValueEditor qube={qube} features={qube.features} onSaved={saved} />
      <h3>Clone</h3>
      <form class="inline" onSubmit={(e) => void clone(e)}>
        <input placeholder="name of the copy" value={cloneName} onInput={(e) => setCloneName(e.currentTarget.value)} />
        <button type="submit">Clone</button>
      </form>
      {error?.where === 'clone' ? <div class="field-error">{error.message}</div> : null}
      <h3>Remove</h3>
      <div class="inline">
        <label class="check">
          <input type="checkbox" checked={withData} onChange={(e) => setWithData(e.currentTarget.checked)} />
          also delete its private data (cannot be undone)
        </label>
        <button class="danger" onClick={() => void remove()} disabled={qube.state !== 'halted'}>
          Remove {qube.name}
        </button>
      </div>
      {error?.where === 'remove' ? <div class="field-error">{error.message}</div> : null}
    </aside>
  );
}
