// Verb firewall QUBE list|add|del|reset, as qvm-firewall has them (rules numbered from 0).
import { apiClient } from '../client.js';
import { table } from '../output.js';

export async function firewallVerb(name: string, action: string | undefined, rest: string[], o: { before?: string; json?: boolean }): Promise<string> {
  const c = apiClient();
  const params = { name };
  const show = (rules: string[]) =>
    o.json
      ? JSON.stringify(rules, null, 2) + '\n'
      : table(
          rules.map((r, i) => [String(i), r]),
          ['NO', 'RULE'],
        );
  switch (action ?? 'list') {
    case 'list':
      return show((await c.call('firewall.list', { params })).rules);
    case 'add': {
      if (!rest.length) throw new Error('firewall add: give a rule, e.g. action=drop dsthost=192.0.2.20');
      let before: number | undefined;
      if (o.before !== undefined) {
        before = Number(o.before);
        if (!Number.isInteger(before) || before < 0) throw new Error(`--before: '${o.before}' is not a rule number`);
      }
      const r = await c.call('firewall.add', { params, body: { rule: rest.join(' '), before } });
      return o.json ? show(r.rules) : '';
    }
    case 'del': {
      if (!rest.length) throw new Error('firewall del: give a rule number or the rule');
      const one = rest.join(' ');
      const body = /^\d+$/.test(one) ? { index: Number(one) } : { rule: one };
      await c.call('firewall.del', { params, body });
      return '';
    }
    case 'reset':
      await c.call('firewall.reset', { params });
      return '';
    default:
      throw new Error(`firewall: unknown action '${action}' (list, add, del, reset)`);
  }
}
