// Verbs prefs, tags, features (qvm-prefs, qvm-tags, qvm-features).
import { apiClient } from '../client.js';
import { table } from '../output.js';

const show = (v: unknown) => (v === null ? 'none' : String(v));

export async function prefs(name: string, key: string | undefined, value: string | undefined, o: { reset?: boolean; json?: boolean }): Promise<string> {
  const c = apiClient();
  if (o.reset) {
    if (!key) throw new Error('prefs --reset needs a property name');
    await c.call('prefs.reset', { params: { name, key } });
    return '';
  }
  if (key && value !== undefined) {
    await c.call('prefs.set', { params: { name, key }, body: { value } });
    return '';
  }
  if (key) return `${show((await c.call('prefs.get', { params: { name, key } })).value)}\n`;
  const { props } = await c.call('prefs.list', { params: { name } });
  if (o.json) return JSON.stringify(props, null, 2) + '\n';
  return table(
    props.map((p) => [p.name, p.isDefault ? 'D' : '-', show(p.value)]),
    ['PROPERTY', 'D', 'VALUE'],
  );
}

export async function tags(name: string, action: string | undefined, tagList: string[]): Promise<string> {
  const c = apiClient();
  if (!action || action === 'list') return (await c.call('tags.list', { params: { name } })).tags.map((t) => `${t}\n`).join('');
  if (action !== 'add' && action !== 'del') throw new Error(`tags: unknown action '${action}' (list, add, del)`);
  for (const tag of tagList) await c.call(action === 'add' ? 'tags.add' : 'tags.remove', { params: { name, tag } });
  return '';
}

export async function features(name: string, key: string | undefined, value: string | undefined, o: { unset?: boolean }): Promise<string> {
  const c = apiClient();
  if (key && o.unset) {
    await c.call('features.remove', { params: { name, key } });
    return '';
  }
  if (key && value !== undefined) {
    await c.call('features.set', { params: { name, key }, body: { value } });
    return '';
  }
  const f = (await c.call('features.list', { params: { name } })).features;
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
    await c.call('globals.set', { params: { key }, body: { value } });
    return '';
  }
  const g = (await c.call('globals.list')).globals;
  if (key) return `${show(g[key] ?? null)}\n`;
  return Object.entries(g)
    .map(([k, v]) => `${k}  ${show(v)}\n`)
    .join('');
}
