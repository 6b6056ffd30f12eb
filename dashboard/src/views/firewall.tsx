// The per-qube firewall editor with Qubes' rule semantics (first match wins, last rule the policy): add, remove, reorder, expiry. The daemon parses (src/firewall).
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Qube } from '../api';
import type { LiveEvent } from '../main';
import { labelClass } from '../format';

const FIELDS = ['action', 'dsthost', 'proto', 'dstports', 'icmptype', 'specialtarget', 'expire', 'comment'] as const;
type Field = (typeof FIELDS)[number];

/** Which field a firewall error names ("firewall rule: dsthost: …"). */
const fieldOf = (message: string): string | null => /firewall rule: ([a-z0-9]+): /.exec(message)?.[1] ?? null;

export function FirewallView({ qubes, events }: { qubes: Qube[]; events: LiveEvent[] }) {
  const candidates = qubes.filter((q) => q.netvm).sort((a, b) => a.name.localeCompare(b.name));
  const [name, setName] = useState<string>(() => new URLSearchParams(location.hash.split('?')[1] ?? '').get('qube') ?? '');
  const current = candidates.find((q) => q.name === name) ?? candidates[0] ?? null;
  const [rules, setRules] = useState<string[]>([]);
  const [attached, setAttached] = useState<{ netvm: string; ifname: string; address: string } | null>(null);
  const [form, setForm] = useState<Record<Field, string>>({
    action: 'drop',
    dsthost: '',
    proto: '',
    dstports: '',
    icmptype: '',
    specialtarget: '',
    expire: '',
    comment: '',
  });
  const [error, setError] = useState<{ field: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const lastFw = events.find((e) => e.event === 'firewall-changed' && e.data.qube === current?.name)?.n ?? 0;

  const load = () => {
    if (!current) return;
    api
      .firewall(current.name)
      .then((r) => {
        setRules(r.rules);
        setAttached((r.attached as { netvm: string; ifname: string; address: string } | null) ?? null);
      })
      .catch((e: ApiError) => setError({ field: '_', message: e.message }));
  };
  useEffect(load, [current?.name, lastFw]);

  const ruleText = () =>
    FIELDS.filter((f) => form[f].trim() !== '')
      .map((f) => `${f}=${form[f].trim()}`)
      .join(' ');

  const run = async (what: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await what();
      load();
      return true;
    } catch (e) {
      const m = (e as ApiError).message;
      setError({ field: fieldOf(m) ?? '_', message: m });
      return false;
    } finally {
      setBusy(false);
    }
  };
  const add = async (e: Event) => {
    e.preventDefault();
    if (!current) return;
    if (await run(() => api.firewallAdd(current.name, ruleText(), 0))) setForm({ ...form, dsthost: '', dstports: '', icmptype: '', expire: '', comment: '' });
  };
  /** Moves a rule: removed, then added back before its new neighbour (two edits; a failed add puts it back where it was). */
  const move = (i: number, to: number) =>
    current &&
    void run(async () => {
      const rule = rules[i] as string;
      await api.firewallDel(current.name, i);
      try {
        await api.firewallAdd(current.name, rule, to);
      } catch (e) {
        await api.firewallAdd(current.name, rule, i);
        throw e;
      }
    });

  if (!current) return <section class="panel">No qube has a network, so no firewall to edit.</section>;
  const input = (f: Field, placeholder: string, cls = '') => (
    <label class={`fw-field ${cls}`}>
      {f}
      <input
        name={f}
        placeholder={placeholder}
        value={form[f]}
        onInput={(e) => setForm({ ...form, [f]: e.currentTarget.value })}
        class={error?.field === f ? 'invalid' : ''}
      />
      {error?.field === f ? (
        <span class="field-error" data-field-error={f}>
          {error.message}
        </span>
      ) : null}
    </label>
  );

  return (
    <section class="panel">
      <div class="toolbar">
        <h2>Firewall of</h2>
        <select value={current.name} onChange={(e) => setName(e.currentTarget.value)} data-testid="fw-qube">
          {candidates.map((q) => (
            <option key={q.name} value={q.name}>
              {q.name}
            </option>
          ))}
        </select>
        <span class={`dot ${labelClass(current.label)}`} />
        <span class="muted">
          {attached
            ? `enforced in ${attached.netvm} on ${attached.ifname} for ${attached.address}`
            : `enforced in ${current.netvm ?? 'its netvm'} while ${current.name} runs`}
        </span>
      </div>
      <p class="muted">
        Rules are checked top to bottom and the first that matches decides, as in Qubes; the last rule is the policy for the rest. Edits apply at once to a
        running qube.
      </p>
      <table class="rules" data-testid="fw-rules">
        <thead>
          <tr>
            <th class="idx">#</th>
            <th>Rule</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rules.map((r, i) => (
            <tr key={`${i}-${r}`} data-rule={i}>
              <td class="num idx">{i}</td>
              <td class="mono">
                <span class={r.includes('action=drop') ? 'rule-drop' : 'rule-accept'}>{r}</span>
              </td>
              <td class="actions">
                <button disabled={busy || i === 0} onClick={() => move(i, i - 1)} title="move up">
                  ↑
                </button>
                <button disabled={busy || i === rules.length - 1} onClick={() => move(i, i + 1)} title="move down">
                  ↓
                </button>
                <button class="danger" disabled={busy} onClick={() => void run(() => api.firewallDel(current.name, i))}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
          {rules.length === 0 ? (
            <tr>
              <td colSpan={3} class="muted">
                no rules: everything is accepted
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
      <h3>Add a rule (at the top)</h3>
      <form class="fw-form" onSubmit={(e) => void add(e)} data-testid="fw-form">
        <label class="fw-field">
          action
          <select name="action" value={form.action} onChange={(e) => setForm({ ...form, action: e.currentTarget.value })}>
            <option value="drop">drop</option>
            <option value="accept">accept</option>
          </select>
        </label>
        {input('dsthost', '10.0.0.0/8 or example.org')}
        <label class="fw-field">
          proto
          <select name="proto" value={form.proto} onChange={(e) => setForm({ ...form, proto: e.currentTarget.value })}>
            <option value="">any</option>
            <option value="tcp">tcp</option>
            <option value="udp">udp</option>
            <option value="icmp">icmp</option>
          </select>
        </label>
        {input('dstports', '443 or 8000-8080', 'short')}
        {input('expire', '+3600 (seconds) or unix time', 'short')}
        {input('comment', 'why')}
        <button class="primary" type="submit" disabled={busy}>
          Add rule
        </button>
      </form>
      {error && !FIELDS.includes(error.field as Field) ? <div class="field-error">{error.message}</div> : null}
      {error && error.field === 'action' ? <div class="field-error">{error.message}</div> : null}
    </section>
  );
}
