// Contract of the qube routes: list, create, remove, clone, power, properties, tags, features, disposables (Qubes' admin.vm.*).
import { z } from 'zod';
import { route } from './route.js';
import { keyParams, nameParam, passphraseField, powerState, propValue, propView, qubeView } from './common.js';

export const createBody = z
  .object({
    name: z.string(),
    class: z.string(),
    label: z.string(),
    template: z.string().nullish(),
    props: z.record(z.string(), z.string()).optional(),
    tags: z.array(z.string()).optional(),
    features: z.record(z.string(), z.string()).optional(),
    /** Encrypt the qube under this passphrase (create --encrypted). Never stored, logged or audited. */
    passphrase: passphraseField.optional(),
  })
  .strict();
/** Start: the passphrase of an encrypted qube. */
export const startBody = z.object({ passphrase: passphraseField.optional() }).strict();
/** Passphrase change of an encrypted qube: the master key is rewrapped, the data stays. */
export const passphraseBody = z.object({ old: passphraseField, new: passphraseField }).strict();
export const shutdownBody = z
  .object({ wait: z.boolean().optional(), timeout: z.number().int().positive().max(3600).optional(), force: z.boolean().optional() })
  .strict();
export const removeQuery = z.object({ force: z.enum(['true', 'false']).optional() }).strict();
export const valueBody = z.object({ value: z.string() }).strict();
export const cloneBody = z.object({ name: z.string() }).strict();
export const dispvmBody = z.object({ template: z.string().optional(), name: z.string().optional(), label: z.string().optional() }).strict();
export const tagParams = z.object({ name: z.string(), tag: z.string() }).strict();

const stateReply = z.object({ state: powerState });
const tagsReply = z.object({ tags: z.array(z.string()) });
const featuresReply = z.object({ features: z.record(z.string(), z.string()) });
export const startReply = z.object({ pid: z.number().int(), alreadyRunning: z.boolean() });

export const qubeRoutes = {
  'qubes.list': route({
    method: 'GET',
    path: '/qubes',
    summary: 'Every qube with its power state',
    kind: 'json',
    reply: z.object({ qubes: z.array(qubeView) }),
  }),
  'qubes.create': route({ method: 'POST', path: '/qubes', summary: 'Create a qube', kind: 'json', body: createBody, reply: qubeView, status: 201 }),
  'qubes.get': route({ method: 'GET', path: '/qubes/:name', summary: 'One qube', kind: 'json', params: nameParam, reply: qubeView }),
  'qubes.remove': route({
    method: 'DELETE',
    path: '/qubes/:name',
    summary: 'Remove a qube and its volumes',
    kind: 'json',
    params: nameParam,
    query: removeQuery,
    reply: z.object({ removed: z.string() }),
  }),
  'qubes.clone': route({
    method: 'POST',
    path: '/qubes/:name/clone',
    summary: 'Clone a qube',
    kind: 'json',
    params: nameParam,
    body: cloneBody,
    reply: qubeView,
    status: 201,
  }),
  'qubes.start': route({
    method: 'POST',
    path: '/qubes/:name/start',
    summary: 'Start a qube and its netvm chain',
    kind: 'json',
    params: nameParam,
    body: startBody.optional(),
    reply: startReply,
  }),
  'qubes.passphrase': route({
    method: 'POST',
    path: '/qubes/:name/passphrase',
    summary: "Change an encrypted qube's passphrase",
    kind: 'json',
    params: nameParam,
    body: passphraseBody,
    reply: z.object({ changed: z.string() }),
  }),
  'qubes.shutdown': route({
    method: 'POST',
    path: '/qubes/:name/shutdown',
    summary: 'Shut a qube down',
    kind: 'json',
    params: nameParam,
    body: shutdownBody.optional(),
    reply: stateReply,
  }),
  'qubes.kill': route({ method: 'POST', path: '/qubes/:name/kill', summary: 'Kill a qube', kind: 'json', params: nameParam, reply: stateReply }),
  'qubes.pause': route({ method: 'POST', path: '/qubes/:name/pause', summary: 'Pause a qube', kind: 'json', params: nameParam, reply: stateReply }),
  'qubes.unpause': route({ method: 'POST', path: '/qubes/:name/unpause', summary: 'Unpause a qube', kind: 'json', params: nameParam, reply: stateReply }),
  'prefs.list': route({
    method: 'GET',
    path: '/qubes/:name/prefs',
    summary: "A qube's properties",
    kind: 'json',
    params: nameParam,
    reply: z.object({ props: z.array(propView) }),
  }),
  'prefs.get': route({ method: 'GET', path: '/qubes/:name/prefs/:key', summary: 'One property', kind: 'json', params: keyParams, reply: propView }),
  'prefs.set': route({
    method: 'PUT',
    path: '/qubes/:name/prefs/:key',
    summary: 'Set a property',
    kind: 'json',
    params: keyParams,
    body: valueBody,
    reply: z.object({ name: z.string(), value: propValue }),
  }),
  'prefs.reset': route({
    method: 'DELETE',
    path: '/qubes/:name/prefs/:key',
    summary: 'Reset a property to its default',
    kind: 'json',
    params: keyParams,
    reply: z.object({ reset: z.string() }),
  }),
  'tags.list': route({ method: 'GET', path: '/qubes/:name/tags', summary: "A qube's tags", kind: 'json', params: nameParam, reply: tagsReply }),
  'tags.add': route({ method: 'PUT', path: '/qubes/:name/tags/:tag', summary: 'Add a tag', kind: 'json', params: tagParams, reply: tagsReply }),
  'tags.remove': route({ method: 'DELETE', path: '/qubes/:name/tags/:tag', summary: 'Remove a tag', kind: 'json', params: tagParams, reply: tagsReply }),
  'features.list': route({ method: 'GET', path: '/qubes/:name/features', summary: "A qube's features", kind: 'json', params: nameParam, reply: featuresReply }),
  'features.set': route({
    method: 'PUT',
    path: '/qubes/:name/features/:key',
    summary: 'Set a feature',
    kind: 'json',
    params: keyParams,
    body: valueBody,
    reply: featuresReply,
  }),
  'features.remove': route({
    method: 'DELETE',
    path: '/qubes/:name/features/:key',
    summary: 'Remove a feature',
    kind: 'json',
    params: keyParams,
    reply: featuresReply,
  }),
  'dispvms.create': route({
    method: 'POST',
    path: '/dispvms',
    summary: 'Create a disposable',
    kind: 'json',
    body: dispvmBody.optional(),
    reply: z.object({ name: z.string() }),
    status: 201,
  }),
  'dispvms.remove': route({
    method: 'DELETE',
    path: '/dispvms/:name',
    summary: 'Destroy a disposable',
    kind: 'json',
    params: nameParam,
    reply: z.object({ removed: z.string() }),
  }),
} as const;
