// A valid sample of every route's input and reply, for the contract's tests (and the page's, which may reuse them).
import type { z } from 'zod';
import type { Routes } from './index.js';

type Sample<R> = {
  params?: R extends { params: z.ZodTypeAny } ? z.input<R['params']> : never;
  query?: R extends { query: z.ZodTypeAny } ? z.input<R['query']> : never;
  body?: R extends { body: z.ZodTypeAny } ? z.input<R['body']> : never;
  reply: R extends { reply: z.ZodTypeAny } ? z.input<R['reply']> : never;
};

const qube = {
  name: 'work',
  klass: 'app',
  qubesClass: 'AppVM',
  state: 'running' as const,
  label: 'blue',
  template: 'debian-12',
  netvm: 'sys-firewall',
  qid: 3,
  uuid: '0b0c7f0e-6f49-4a52-9d38-9d1c0e0b4f10',
  tags: ['created-by-dom0'],
  features: { 'service.cups': '1' },
};
const name = { name: 'work' };
const usage = { diskBytes: 4096, apparentBytes: 120, entries: 3 };
const labStatus = {
  up: true,
  prefix: 'bh1234',
  stateDir: '/var/lib/bulkhead/lab',
  hosts: [{ name: 'web', role: 'web', netns: 'bh1234-lab-web', addresses: ['192.0.2.10'], names: ['web.lab'], present: true, pid: 42, running: true }],
  uplinks: [{ netns: 'bh1234-lab-router', ifname: 'up0', address: '198.51.100.2/24', gateway: '198.51.100.1' }],
  caCert: '/var/lib/bulkhead/lab/ca.pem',
  problems: [],
};
const tor = { state: 'up' as const, since: '2026-12-07T20:00:00.000Z', restarts: 0, network: 'lab' as const };
const bridges = { gateway: 'sys-whonix', network: 'lab' as const, bridges: ['192.0.2.30:9001'] };
const firewallEdit = { rules: ['action=accept dsthost=192.0.2.10', 'action=drop'], cut: 0 };
const progress = { phase: 'volumes', done: 1, total: 2 };
const absent = { qube: 'work' };

export const SAMPLES: { [N in keyof Routes]: Sample<Routes[N]> } = {
  version: { reply: { name: 'bulkheadd', version: '0.1.0', prefix: 'bh1234', runtime: 'ns', pid: 100 } },
  openapi: { reply: { openapi: '3.0.3' } },
  'globals.list': { reply: { globals: { default_template: 'debian-12', default_netvm: null } } },
  'globals.set': { params: { key: 'default_template' }, body: { value: 'debian-12' }, reply: { key: 'default_template', value: 'debian-12' } },
  init: { body: { uplink: 'lab', whonix: true }, reply: { created: ['default-dvm'], kept: [], globals: { default_dispvm: 'default-dvm' }, uplink: 'lab' } },
  'shutdown-all': { body: { timeout: 30 }, reply: { steps: [['work'], ['sys-firewall']], stopped: ['work', 'sys-firewall'], failed: [], seconds: 1.5 } },
  events: { reply: { event: 'connected', time: '2026-12-07T20:00:00.000Z', data: {} } },
  'audit.list': {
    query: { qube: 'work', limit: 10 },
    reply: {
      entries: [{ seq: 1, time: '2026-12-07T20:00:00.000Z', actor: 'admin', event: 'qube-created', qube: 'work', detail: '{}', prev_hash: '0', hash: 'ab' }],
    },
  },
  'audit.verify': { reply: { ok: true, rows: 12 } },
  usage: {
    reply: {
      time: 1796676268724,
      qubes: { work: { memoryBytes: 360448, cpuNs: 1500000, diskBytes: 1220608 }, vault: { memoryBytes: null, cpuNs: null, diskBytes: null } },
    },
  },
  'dashboard.link': { reply: { url: 'http://127.0.0.1:8123/login?s=NWOskhfJdIIjwyy41cGfGr_G5RgQQuzMmWTh7PC7ArY', port: 8123, expiresInSeconds: 300 } },
  'qubes.exec': { params: name, body: { argv: ['true'], user: 'root' }, reply: undefined as never },
  'dispvms.exec': { body: { argv: ['true'], template: 'default-dvm' }, reply: undefined as never },
  'qubes.display': { params: name, reply: { display: ':0' } },
  'displays.list': { reply: { displays: [{ qube: 'work', label: 'blue', colour: '#3465a4' }] } },
  'qubes.display.stream': { params: name, reply: undefined as never },
  'qubes.apps': {
    params: name,
    reply: {
      template: 'debian-12',
      apps: [{ id: 'debian-xterm', name: 'XTerm', argv: ['xterm'], noDisplay: false }],
      skipped: [{ file: 'bad.desktop', why: 'usr/share/applications/bad.desktop:3: not a key=value line' }],
    },
  },
  'qubes.list': { reply: { qubes: [qube] } },
  'qubes.create': { body: { name: 'work', class: 'app', label: 'blue', template: 'debian-12', props: { memory: '400' } }, reply: qube },
  'qubes.get': { params: name, reply: qube },
  'qubes.remove': { params: name, query: { force: 'true' }, reply: { removed: 'work' } },
  'qubes.clone': { params: name, body: { name: 'work2' }, reply: { ...qube, name: 'work2' } },
  'qubes.start': { params: name, body: { passphrase: 'correct horse' }, reply: { pid: 1234, alreadyRunning: false } },
  'qubes.passphrase': { params: name, body: { old: 'a', new: 'b' }, reply: { changed: 'work' } },
  'qubes.shutdown': { params: name, body: { wait: true, timeout: 20, force: false }, reply: { state: 'halted' } },
  'qubes.kill': { params: name, reply: { state: 'halted' } },
  'qubes.pause': { params: name, reply: { state: 'paused' } },
  'qubes.unpause': { params: name, reply: { state: 'running' } },
  'prefs.list': { params: name, reply: { props: [{ name: 'memory', value: 400, isDefault: true, type: 'int' }] } },
  'prefs.get': { params: { name: 'work', key: 'netvm' }, reply: { name: 'netvm', value: null, isDefault: false, type: 'qube' } },
  'prefs.set': { params: { name: 'work', key: 'memory' }, body: { value: '500' }, reply: { name: 'memory', value: 500 } },
  'prefs.reset': { params: { name: 'work', key: 'memory' }, reply: { reset: 'memory' } },
  'tags.list': { params: name, reply: { tags: ['a'] } },
  'tags.add': { params: { name: 'work', tag: 'b' }, reply: { tags: ['a', 'b'] } },
  'tags.remove': { params: { name: 'work', tag: 'b' }, reply: { tags: ['a'] } },
  'features.list': { params: name, reply: { features: { x: '1' } } },
  'features.set': { params: { name: 'work', key: 'x' }, body: { value: '1' }, reply: { features: { x: '1' } } },
  'features.remove': { params: { name: 'work', key: 'x' }, reply: { features: {} } },
  'dispvms.create': { body: { template: 'default-dvm' }, reply: { name: 'disp12' } },
  'dispvms.remove': { params: { name: 'disp12' }, reply: { removed: 'disp12' } },
  'volumes.list': {
    params: name,
    reply: {
      name: 'work',
      dir: '/var/lib/bulkhead/qubes/work',
      usage,
      encrypted: false,
      volumes: [
        {
          kind: 'private',
          path: '/var/lib/bulkhead/qubes/work/private.img',
          persistent: true,
          usage,
          bound: 'image',
          sizeBytes: 1 << 30,
          revisions: [{ name: 'r1', createdAt: '2026-12-07T20:00:00.000Z', path: '/p', usage }],
        },
        { kind: 'volatile', path: '/v', persistent: false, usage, bound: null, sizeBytes: null },
      ],
    },
  },
  'volumes.resize': {
    params: { name: 'work', volume: 'private' },
    body: { size: '4G' },
    reply: { volume: 'private', sizeBytes: 4 << 30, applied: 'next start' },
  },
  'volumes.privateRevisions': { params: name, reply: { revisions: [{ name: 'r1', createdAt: '2026-12-07T20:00:00.000Z', path: '/p' }] } },
  'volumes.privateRevert': { params: name, body: { revision: 'r1' }, reply: { restored: 'r1', savedAs: 'r2' } },
  'volumes.rootRevisions': { params: { name: 'debian-12' }, reply: { revisions: [] } },
  'volumes.rootRevert': { params: { name: 'debian-12' }, body: {}, reply: { restored: 'r1', savedAs: 'r2' } },
  'templates.list': { reply: { templates: [{ name: 'debian-12', label: 'black', running: false, rootfs: '/r' }] } },
  'templates.build': { body: { name: 'debian-12', refresh: true }, reply: { result: { name: 'debian-12', reused: false, fromCache: true, seconds: 3.2 } } },
  'templates.import': { body: { name: 't', source: '/srv/root.tar' }, reply: { name: 't', seconds: 2 } },
  'lab.status': { reply: { lab: labStatus, tor: { onionAddress: 'x.onion', nodes: [{ nick: 'a1', role: 'authority', address: '10.0.0.1', pid: 7 }] } } },
  'lab.up': { query: { tor: 'false' }, reply: { lab: labStatus, ms: 800, tor: null } },
  'lab.down': { reply: { stopped: [42], namespaces: ['bh1234-lab-web'], files: [] } },
  'rpc.pending': {
    reply: {
      pending: [
        {
          id: 'a1',
          source: 'work',
          target: '',
          service: 'qubes.Filecopy',
          argument: '+',
          candidates: ['vault'],
          defaultTarget: null,
          createdAt: '2026-12-07T20:00:00.000Z',
          expiresAt: '2026-12-07T20:01:00.000Z',
        },
      ],
    },
  },
  'rpc.answer': { params: { id: 'a1' }, body: { answer: 'allow', target: 'vault' }, reply: { id: 'a1', answer: 'allow', target: 'vault' } },
  'rpc.policy': { reply: { ok: true, state: 'loaded', rules: 4, errors: [{ file: '/etc/p/30-user.policy', line: 3, message: 'bad' }] } },
  'clipboard.status': { reply: { source: null, bytes: 0 } },
  'clipboard.copy': { body: absent, reply: { source: 'work', bytes: 5 } },
  'clipboard.paste': { body: { qube: 'vault' }, reply: { source: 'work', bytes: 5 } },
  'firewall.list': { params: name, reply: { rules: ['action=accept'], attached: null } },
  'firewall.add': { params: name, body: { rule: 'action=drop dsthost=192.0.2.20', before: 0 }, reply: firewallEdit },
  'firewall.del': { params: name, body: { index: 1 }, reply: firewallEdit },
  'firewall.reset': { params: name, reply: firewallEdit },
  'gateways.list': { reply: { gateways: [{ name: 'sys-whonix', network: 'lab', bridges: 1, tor }] } },
  'gateways.tor': { reply: { gateways: { 'sys-whonix': tor } } },
  'bridges.get': { params: { name: 'sys-whonix' }, reply: bridges },
  'bridges.set': { params: { name: 'sys-whonix' }, body: { lines: ['192.0.2.30:9001'], source: 'argument' }, reply: bridges },
  'bridges.clear': { params: { name: 'sys-whonix' }, reply: { ...bridges, bridges: [] } },
  'gateways.tor-info': { params: { name: 'sys-whonix' }, reply: { gateway: 'sys-whonix', progress: 100, summary: 'Done', circuits: 3 } },
  'qubes.newnym': {
    params: { name: 'anon-whonix' },
    reply: { workstation: 'anon-whonix', gateway: 'sys-whonix', ok: true, reply: '250 OK\r\n250 OK\r\n250 closing connection' },
  },
  'qubes.check': {
    params: { name: 'anon' },
    reply: {
      workstation: 'anon',
      gateway: 'sys-whonix',
      network: 'lab',
      ok: true,
      checks: [{ id: 'tor', title: 'traffic goes through Tor', ok: true, detail: 'exit 192.0.2.10', lab: true }],
      labSeen: { router: { tor: 10, other: 0 } },
      tor,
      ms: 5000,
    },
  },
  'backup.create': { body: { file: '/b/x.bkp', qubes: ['work'], passphrase: 'p' }, reply: { progress } },
  'backup.restore': {
    body: { file: '/b/x.bkp', passphrase: 'p', conflicts: 'rename' },
    reply: { result: { restored: [{ name: 'work', as: 'work1', klass: 'app' }], skipped: [], warnings: [], policyRefs: [], bytes: 10, seconds: 1 } },
  },
  'backup.verify': { body: { file: '/b/x.bkp', passphrase: 'p' }, reply: { error: 'ERR_BACKUP_PASSPHRASE', message: 'wrong passphrase' } },
  'backup.restoreQubes': {
    body: { file: '/b/qubes-backup', passphrase: 'p', qubes: ['work'] },
    reply: {
      backupId: 'abc',
      restored: [{ name: 'work', klass: 'app', template: 'debian-12', netvm: 'sys-firewall', tags: [], firewallRules: 2, homeBytes: null, notes: [] }],
      skipped: [],
      verifiedBytes: 100,
      seconds: 1,
    },
  },
  'forensics.acquire': {
    params: name,
    body: { out: '/srv/case1', memory: false },
    reply: {
      tool: { name: 'bulkhead', version: '0.1.0' },
      qube: { name: 'work', klass: 'app', template: 'debian-12', state: 'running' },
      startedAt: '2026-12-07T20:00:00.000Z',
      finishedAt: '2026-12-07T20:00:01.000Z',
      frozenAt: null,
      thawedAt: null,
      artefacts: [{ path: 'private.img', what: 'private volume', bytes: 10, sha256: 'ab' }],
      notes: [],
      processes: [{ pid: 1, cmdline: ['/sbin/init'], name: 'init' }],
    },
  },
  'forensics.residue': {
    body: { places: ['state', 'tmp'], bytes: 65536 },
    reply: {
      disposable: { name: 'disp3', template: 'default-dvm', amnesic: true },
      canarySha256: 'aa',
      controlSha256: 'bb',
      writes: [{ place: 'tmp', ok: true }],
      swap: 'none',
      scans: [
        {
          place: 'state',
          root: '/var/lib/bulkhead',
          scanned: true,
          note: 'files',
          files: 10,
          bytes: 100,
          seconds: 0.1,
          counts: { disposable: 0, control: 1 },
          hits: [{ canary: 'control', path: '/x', offset: 0 }],
          skipped: [],
        },
      ],
      found: false,
      controlFound: true,
      seconds: 4,
    },
  },
};
