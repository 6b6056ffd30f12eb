// Shared set-up of the Whonix acceptance tests and benchmark: a daemon with the lab world and its Tor network, init --whonix, anon-whonix running; host-side views of the gateway.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { crunState } from './core-fixture.js';
import { labDaemon, type NetDaemon } from './net-fixture.js';
import { openGatewayControl, type GatewayControl } from '../../src/features/whonix/gateway-control.js';
import { observeLab, type LabObserver } from '../../src/features/whonix/lab-observer.js';
import { streamEventsOf, type StreamEvent } from '../../src/features/whonix/stream-events.js';

export interface WhonixDaemon extends NetDaemon {
  /** Host pid of a running qube's init (crun state), or null. */
  initPid(name: string): number | null;
  qid(name: string): number;
  /** An authenticated control connection to tor in sys-whonix. */
  control(): Promise<GatewayControl>;
  /** Packet counters in the lab's web, other and dns hosts and on the router's uplinks. */
  observe(): Promise<LabObserver>;
  /** Host pids of live tor processes inside the gateway (same pid namespace as its init, comm "tor", not a zombie). */
  torPids(gateway?: string): number[];
  /** The lab's onion address and exit addresses. */
  labTor(): { onionAddress: string; exitAddresses: string[] };
  /** Create and start one more workstation behind sys-whonix. */
  addWorkstation(name: string): void;
  /** Follow the daemon's event stream from now on. */
  events(): Promise<EventLog>;
  /** As the given user inside the gateway: the pid (in the gateway) of tor's supervisor loop. */
  supervisorPid(gateway?: string): number;
}

export interface EventLog {
  seen: { event: string; time: string; data: Record<string, unknown> }[];
  /** Resolves with the first event (already seen or later) that matches, or rejects after `ms`. */
  waitFor(
    event: string,
    match: (data: Record<string, unknown>) => boolean,
    ms: number,
  ): Promise<{ event: string; time: string; data: Record<string, unknown> }>;
  stop(): void;
}

/** A daemon on a private state directory: debian-12, lab up with Tor, init --uplink lab --whonix, anon-whonix started. */
export async function whonixDaemon(tag: string): Promise<WhonixDaemon> {
  const d = await labDaemon<WhonixDaemon>(tag, [], ['--uplink', 'lab', '--whonix']);
  d.initPid = (name) => crunState(d.ns(name))?.pid ?? null;
  d.qid = (name) => {
    const props = JSON.parse(d.ok(['prefs', name, '--json'])) as { name: string; value: unknown }[];
    return Number(props.find((p) => p.name === 'qid')?.value);
  };
  d.control = async () => {
    if (!d.initPid('sys-whonix')) throw new Error('sys-whonix is not running');
    // The admin's password of this gateway start (root-only, in the admin's run directory), never a file of the gateway.
    const password = readFileSync(join(d.home, 'run', 'whonix', 'sys-whonix', 'control-password'), 'utf8').trim();
    return openGatewayControl({ netns: d.ns('sys-whonix'), password, socketDir: join(d.home, 'run', 'test-ctl') });
  };
  d.observe = () => observeLab(join(d.home, 'lab'));
  d.torPids = (gateway = 'sys-whonix') => {
    const init = d.initPid(gateway);
    if (!init) return [];
    const pidns = readlinkSync(`/proc/${init}/ns/pid`);
    const out: number[] = [];
    for (const e of readdirSync('/proc')) {
      if (!/^\d+$/.test(e)) continue;
      try {
        const zombie = / Z /.test(readFileSync(`/proc/${e}/stat`, 'utf8').replace(/^.*\)/, ')'));
        if (!zombie && readFileSync(`/proc/${e}/comm`, 'utf8').trim() === 'tor' && readlinkSync(`/proc/${e}/ns/pid`) === pidns) out.push(Number(e));
      } catch {
        /* exited */
      }
    }
    return out;
  };
  d.labTor = () => JSON.parse(readFileSync(join(d.home, 'lab', 'tor-network.json'), 'utf8')) as { onionAddress: string; exitAddresses: string[] };
  d.addWorkstation = (name) => {
    d.ok(['create', name, '--template', 'whonix-ws', '--label', 'red', '--prop', 'netvm=sys-whonix']);
    d.ok(['tags', name, 'add', 'anon-vm']);
    d.ok(['start', name], undefined, 180_000);
  };
  d.events = () =>
    new Promise((resolve, reject) => {
      const seen: EventLog['seen'] = [];
      const req = http.get({ socketPath: join(d.home, 'admin', 'admin.sock'), path: '/events' }, (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          buf += c;
          for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (line.trim()) seen.push(JSON.parse(line) as EventLog['seen'][number]);
          }
        });
        const log: EventLog = {
          seen,
          async waitFor(event, match, ms) {
            const end = Date.now() + ms;
            for (;;) {
              const e = seen.find((x) => x.event === event && match(x.data));
              if (e) return e;
              if (Date.now() > end) throw new Error(`no ${event} event within ${ms} ms; saw ${seen.map((x) => x.event).join(',')}`);
              await new Promise((r) => setTimeout(r, 100));
            }
          },
          stop: () => req.destroy(),
        };
        resolve(log);
      });
      req.on('error', reject);
    });
  d.supervisorPid = (gateway = 'sys-whonix') => {
    const r = d.run(gateway, ['cat', '/var/lib/bulkhead-tor/supervisor.pid'], { root: true });
    const pid = Number(r.stdout.trim());
    if (!Number.isInteger(pid) || pid < 2) throw new Error(`no supervisor pid in ${gateway}: ${r.stdout}${r.stderr}`);
    return pid;
  };
  try {
    d.ok(['start', 'anon-whonix'], undefined, 180_000);
  } catch (e) {
    await d.teardown();
    throw e;
  }
  return d;
}

/** Collect STREAM events of the gateway's tor while `fn` runs (plus a short grace for late events). */
export async function withStreamEvents<T>(ctl: GatewayControl, fn: () => T | Promise<T>): Promise<{ result: T; events: StreamEvent[] }> {
  const events: StreamEvent[] = [];
  const off = await ctl.tor.onEvents(['STREAM'], (r) => {
    events.push(...streamEventsOf(r));
  });
  try {
    const result = await fn();
    await new Promise((r) => setTimeout(r, 500));
    return { result, events: [...events] };
  } finally {
    off();
  }
}
