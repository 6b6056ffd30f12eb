// Verbs on qubes: create, ls, start, shutdown, kill, pause, unpause, clone, remove (qvm-* names).
import { ApiError, apiClient } from '../client.js';
import { passphraseFrom, promptPassphrase, readPassphraseFile } from '../passphrase.js';
import { table } from '../output.js';
import type { QubeView as ApiQubeView } from '../../contract/index.js';
import type { GatewayView, TorState } from '../../contract/whonix.js';

/** A qube as `ls` shows it: the API's view, with its gateway's Tor state where it has one. */
type QubeView = ApiQubeView & { tor?: TorState; tor_network?: string };

function parseProps(list: string[] = []): Record<string, string> {
  const props: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new Error(`--prop: '${kv}' is not KEY=VALUE`);
    props[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return props;
}

export async function create(
  name: string,
  o: { class: string; template?: string; label: string; prop?: string[]; encrypted?: boolean; passphraseFile?: string },
): Promise<string> {
  if (o.passphraseFile !== undefined && !o.encrypted) throw new Error('--passphrase-file needs --encrypted');
  let passphrase: string | undefined;
  if (o.encrypted) {
    passphrase = (await passphraseFrom(o.passphraseFile, `passphrase for ${name}`, true)) ?? undefined;
    if (passphrase === undefined) throw new Error('--encrypted: give --passphrase-file FILE (no terminal to ask on)');
  }
  const q = await apiClient().call('qubes.create', {
    body: { name, class: o.class, label: o.label, template: o.template, props: parseProps(o.prop), ...(passphrase === undefined ? {} : { passphrase }) },
  });
  return `created ${q.name} (${q.klass}, ${q.label}${passphrase === undefined ? '' : ', encrypted'})\n`;
}

export async function ls(o: { json?: boolean }): Promise<string> {
  const qubes: QubeView[] = (await apiClient().call('qubes.list')).qubes;
  // Gateways: their network profile, and tor's state as the admin watches it (a note after the state).
  const gws = await apiClient()
    .call('gateways.list')
    .then(
      (r) => r.gateways,
      () => [] as GatewayView[],
    );
  for (const g of gws) {
    const q = qubes.find((x) => x.name === g.name);
    if (!q) continue;
    q.tor_network = g.network;
    if (g.tor) q.tor = g.tor;
  }
  if (o.json) return JSON.stringify(qubes, null, 2) + '\n';
  const note = (q: QubeView) =>
    [
      ...(q.tor ? [`tor ${q.tor.state}${q.tor.restarts ? `, ${q.tor.restarts} restarts` : ''}`] : []),
      ...(q.tor_network ? [`network ${q.tor_network}`] : []),
    ].join(', ');
  const state = (q: QubeView) => cap(q.state) + (note(q) ? ` (${note(q)})` : '');
  const rows = [
    ['dom0', 'Running', 'AdminVM', 'black', '-', '-'],
    ...qubes.map((q) => [q.name, state(q), q.klass, q.label, q.template ?? '-', q.netvm ?? '-']),
  ];
  return table(rows, ['NAME', 'STATE', 'CLASS', 'LABEL', 'TEMPLATE', 'NETVM']);
}
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export async function start(names: string[], o: { passphraseFile?: string } = {}): Promise<string> {
  const c = apiClient();
  let out = '';
  // One file serves every qube named; without it, a terminal is asked once per encrypted qube.
  const fromFile = o.passphraseFile === undefined ? undefined : await readPassphraseFile(o.passphraseFile);
  for (const n of names) {
    const params = { name: n };
    const r = await c.call('qubes.start', { params, body: fromFile === undefined ? {} : { passphrase: fromFile } }).catch(async (e: unknown) => {
      const asked = e instanceof ApiError && e.code === 'ERR_PASSPHRASE' && fromFile === undefined ? await promptPassphrase(`passphrase for ${n}: `) : null;
      if (asked === null) throw e;
      return c.call('qubes.start', { params, body: { passphrase: asked } });
    });
    out += r.alreadyRunning ? `${n} is already running\n` : '';
  }
  return out;
}

export async function shutdown(names: string[], o: { wait?: boolean; timeout?: string; force?: boolean; all?: boolean }): Promise<string> {
  if (o.all) {
    if (names.length) throw new Error(`shutdown --all takes no qube names (got ${names.join(' ')})`);
    const { seconds, shutdownEveryQube } = await import('./daemon.js');
    return shutdownEveryQube(seconds('--timeout', o.timeout));
  }
  if (!names.length) throw new Error('shutdown: name the qubes, or --all');
  const c = apiClient();
  const timeout = o.timeout === undefined ? undefined : Number(o.timeout);
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout <= 0)) throw new Error(`--timeout: '${o.timeout}' is not a positive number of seconds`);
  // The daemon always waits for the stop (bounded by the timeout, then kills); --wait is accepted as qvm-shutdown has it.
  for (const n of names) await c.call('qubes.shutdown', { params: { name: n }, body: { wait: o.wait ?? true, timeout, force: o.force } });
  return '';
}

export async function simple(verb: 'kill' | 'pause' | 'unpause', names: string[]): Promise<string> {
  const c = apiClient();
  for (const n of names) await c.call(`qubes.${verb}`, { params: { name: n } });
  return '';
}

export async function clone(src: string, dst: string): Promise<string> {
  await apiClient().call('qubes.clone', { params: { name: src }, body: { name: dst } });
  return `cloned ${src} to ${dst}\n`;
}

export async function remove(names: string[], o: { force?: boolean }): Promise<string> {
  const c = apiClient();
  for (const n of names) await c.call('qubes.remove', { params: { name: n }, query: { force: o.force ? 'true' : 'false' } });
  return '';
}
