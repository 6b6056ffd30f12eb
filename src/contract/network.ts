// Contract of the network feature's routes: a qube's firewall (list, add, del, reset).
import { z } from 'zod';
import { route } from './route.js';

export const firewallParams = z.object({ name: z.string() }).strict();
const params = firewallParams;
export const firewallAddBody = z.object({ rule: z.string(), before: z.number().int().min(0).optional() }).strict();
export const firewallDelBody = z.object({ index: z.number().int().min(0).optional(), rule: z.string().optional() }).strict();
/** The stored rules after an edit, and how many connections it cut. */
export const firewallEdit = z.object({ rules: z.array(z.string()), cut: z.number().int() });

export const networkRoutes = {
  'firewall.list': route({
    method: 'GET',
    path: '/qubes/:name/firewall',
    summary: "A qube's firewall rules",
    kind: 'json',
    params,
    reply: z.object({ rules: z.array(z.string()), attached: z.unknown() }),
  }),
  'firewall.add': route({
    method: 'POST',
    path: '/qubes/:name/firewall',
    summary: 'Add a rule',
    kind: 'json',
    params,
    body: firewallAddBody,
    reply: firewallEdit,
  }),
  'firewall.del': route({
    method: 'POST',
    path: '/qubes/:name/firewall/del',
    summary: 'Delete a rule',
    kind: 'json',
    params,
    body: firewallDelBody,
    reply: firewallEdit,
  }),
  'firewall.reset': route({
    method: 'POST',
    path: '/qubes/:name/firewall/reset',
    summary: 'Back to the default rules',
    kind: 'json',
    params,
    reply: firewallEdit,
  }),
} as const;
