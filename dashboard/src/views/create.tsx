// The create dialog: the daemon validates (the CLI's rules) and its error is shown at the field it names.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, fieldOf, type Qube } from '../api';
import { LABELS, labelClass } from '../format';

const FIELDS = ['name', 'class', 'label', 'template', 'netvm'] as const;

function FieldError({ errors, field }: { errors: Record<string, string>; field: string }) {
  return errors[field] ? (
    <div class="field-error" data-field-error={field} role="alert">
      {errors[field]}
    </div>
  ) : null;
}

export function CreateDialog({ qubes, onClose, onCreated }: { qubes: Qube[]; onClose: () => void; onCreated: (name: string) => void }) {
  const templates = qubes.filter((q) => q.klass === 'template').map((q) => q.name);
  const netvms = qubes.filter(
    (q) => q.klass !== 'template' && (q.name.startsWith('sys-') || q.features['provides-network'] !== undefined || q.tags.includes('netvm')),
  );
  const [name, setName] = useState('');
  const [klass, setKlass] = useState('app');
  const [label, setLabel] = useState('red');
  const [template, setTemplate] = useState(templates[0] ?? '');
  const [netvm, setNetvm] = useState('');
  const [dispTemplate, setDispTemplate] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    if (!template && templates[0]) setTemplate(templates[0]);
  }, [templates.join(',')]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setSaving(true);
    setErrors({});
    const props: Record<string, string> = {};
    if (netvm) props.netvm = netvm;
    if (dispTemplate && klass === 'app') props.template_for_dispvms = 'true';
    try {
      await api.create({ name, class: klass, label, template: klass === 'app' ? template || null : null, props });
      onCreated(name);
    } catch (err) {
      const a = err as ApiError;
      const f = fieldOf(a);
      const field = f && (FIELDS as readonly string[]).includes(f) ? f : f?.startsWith('props.') ? f.slice(6) : f === 'template_for_dispvms' ? f : null;
      setErrors({ [field ?? '_']: a.message });
    } finally {
      setSaving(false);
    }
  };

  return (
    <div class="modal-back" onClick={onClose}>
      <form class="modal" onClick={(e) => e.stopPropagation()} onSubmit={(e) => void submit(e)} data-testid="create-form">
        <h2>New qube</h2>
        <label>
          Name
          <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} autoFocus class={errors.name ? 'invalid' : ''} />
        </label>
        <FieldError errors={errors} field="name" />
        <label>
          Class
          <select name="class" value={klass} onChange={(e) => setKlass(e.currentTarget.value)}>
            <option value="app">app qube</option>
            <option value="standalone">standalone</option>
            <option value="template">template</option>
          </select>
        </label>
        <FieldError errors={errors} field="class" />
        <label>
          Label
          <span class="label-pick">
            {LABELS.map((l) => (
              <button
                type="button"
                key={l}
                class={`swatch ${labelClass(l)}${l === label ? ' chosen' : ''}`}
                title={l}
                onClick={() => setLabel(l)}
                data-pick={l}
              />
            ))}
            <span class="muted">{label}</span>
          </span>
        </label>
        <FieldError errors={errors} field="label" />
        {klass === 'app' ? (
          <>
            <label>
              Template
              <select name="template" value={template} onChange={(e) => setTemplate(e.currentTarget.value)}>
                {templates.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
            </label>
            <FieldError errors={errors} field="template" />
          </>
        ) : null}
        <label>
          NetVM
          <select name="netvm" value={netvm} onChange={(e) => setNetvm(e.currentTarget.value)}>
            <option value="">default</option>
            {netvms.map((q) => (
              <option key={q.name} value={q.name}>
                {q.name}
              </option>
            ))}
          </select>
        </label>
        <FieldError errors={errors} field="netvm" />
        {klass === 'app' ? (
          <label class="check">
            <input type="checkbox" checked={dispTemplate} onChange={(e) => setDispTemplate(e.currentTarget.checked)} />
            disposable template (template_for_dispvms)
          </label>
        ) : null}
        <FieldError errors={errors} field="template_for_dispvms" />
        <FieldError errors={errors} field="_" />
        <div class="buttons">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button class="primary" type="submit" disabled={saving}>
            {saving ? 'Creating…' : 'Create'}
          </button>
        </div>
      </form>
    </div>
  );
}
