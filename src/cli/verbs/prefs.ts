// Verbs prefs, tags, features (qvm-prefs, qvm-tags, qvm-features).
import { apiClient } from '../client.js';
import { table } from '../output.js';

interface Prop {
  name: string;
  value: unknown;
  isDefault: boolean;
}
const show = (v: unknown) => (v === null ? 'none' : String(v));

export async function prefs(name: string, key: string | undefined, value: string | undefined, o: { reset?: boolean; json?: boolean }): Promise<string> {
  const c = apiClient();
  const base = `/qubes/${encodeURIComponent(name)}/prefs`;
  if (o.reset) {
    if (!key) throw new Error('prefs --reset needs a property name');
    await c.request('DELETE', `${base}/${encodeURIComponent(key)}`);
    return '';
  }
  if (key && value !== undefined) {
    await c.request('PUT', `${base}/${encodeURIComponent(key)}`, { value });
    return '';
  }
  if (key) return `${show((await c.request<Prop>('GET', `${base}/${encodeURIComponent(key)}`)).value)}\n`;
  const { props } = await c.request<{ props: Prop[] }>('GET', base);
  if (o.json) return JSON.stringify(props, null, 2) + '\n';
  return table(
    props.map((p) => [p.name, p.isDefault ? 'D' : '-', show(p.value)]),
    ['PROPERTY', 'D', 'VALUE'],
  );
}

export async function tags(name: string, action: string | undefined, tagList: string[]): Promise<string> {
  const c = apiClient();
  const base = `/qubes/${encodeURIComponent(name)}/tags`;
  if (!action || action === 'list') return (await c.request<{ tags: string[] }>('GET', base)).tags.map((t) => `${t}\n`).join('');
  if (action !== 'add' && action !== 'del') throw new Error(`tags: unknown action '${action}' (list, add, del)`);
  for (const t of tagList) await c.request(action === 'add' ? 'PUT' : 'DELETE', `${base}/${encodeURIComponent(t)}`);
  return '';
}

export async function features(name: string, key: string | undefined, value: string | undefined, o: { unset?: boolean }): Promise<string> {
  const c = apiClient();
  const base = `/qubes/${encodeURIComponent(name)}/features`;
  if (key && o.unset) {
    await c.request('DELETE', `${base}/${encodeURIComponent(key)}`);
    return '';
  }
  if (key && value !== undefined) {
    await c.request('PUT', `${base}/${encodeURIComponent(key)}`, { value });
    return '';
  }
  const f = (await c.request<{ features: Record<string, string> }>('GET', base)).features;
  if (key) {
    if (!(key in f)) throw new Error(`feature '${key}' is not set on '${name}'`);
    return `${f[key]}\n`;
  }
  return Object.entries(f)
    .map(([k, v]) => `${k}  ${v}\n`)
    .join('');
}

export async function globals(key: string | undefined, value: string | undefined): Promise<string> {
  const c = apiClient();
  if (key && value !== undefined) {
    await c.request('PUT', `/globals/${encodeURIComponent(key)}`, { value });
    return '';
  }
  const g = (await c.request<{ globals: Record<string, unknown> }>('GET', '/globals')).globals;
  if (key) return `${show(g[key] ?? null)}\n`;
  return Object.entries(g)
    .map(([k, v]) => `${k}  ${show(v)}\n`)
    .join('');
}
