// The one typed map of admin events; the API stream, the audit log and the dashboard consume it.
import { EventEmitter } from 'node:events';
import type { TorNetwork } from '../gateway/types.js';

export interface EventMap {
  'qube-created': { qube: string; klass: string };
  'qube-removed': { qube: string };
  'qube-pre-start': { qube: string };
  'qube-started': { qube: string; pid: number };
  'qube-start-failed': { qube: string; reason: string };
  'qube-stopped': { qube: string; reason: string };
  'qube-paused': { qube: string };
  'qube-unpaused': { qube: string };
  'property-set': { qube: string; key: string; value: unknown };
  'property-reset': { qube: string; key: string };
  'tag-added': { qube: string; tag: string };
  'tag-removed': { qube: string; tag: string };
  'feature-set': { qube: string; key: string; value: string };
  'feature-removed': { qube: string; key: string };
  'global-set': { key: string; value: unknown };
  'firewall-changed': { qube: string; rules: string[] };
  'rpc-ask': { id: string; source: string; target: string; service: string; candidates: string[]; defaultTarget: string | null };
  'rpc-decided': { id: string; result: string; source: string; target: string; service: string };
  /** tor in a gateway stopped answering its control port (died, killed); its supervisor restarts it. `network` is the gateway's profile. */
  'gateway-tor-down': { qube: string; reason: string; network: TorNetwork };
  /** tor in a gateway answers its control port (after the start, or back after being down). */
  'gateway-tor-up': { qube: string; restarts: number; network: TorNetwork };
  /** A gateway's bridges were set or cleared (`bridges` = how many it now has); used from its next start or reload. */
  'gateway-bridges-changed': { qube: string; network: TorNetwork; bridges: number };
}

export type EventName = keyof EventMap;
export interface AdminEvent<K extends EventName = EventName> {
  event: K;
  time: string;
  data: EventMap[K];
}

export class AdminEvents {
  private readonly ee = new EventEmitter();
  constructor() {
    this.ee.setMaxListeners(1000);
  }
  emit<K extends EventName>(event: K, data: EventMap[K]): void {
    const e: AdminEvent<K> = { event, time: new Date().toISOString(), data };
    this.ee.emit(event, e);
    this.ee.emit('*', e);
  }
  on<K extends EventName>(event: K, fn: (e: AdminEvent<K>) => void): () => void {
    this.ee.on(event, fn);
    return () => this.ee.off(event, fn);
  }
  onAny(fn: (e: AdminEvent) => void): () => void {
    this.ee.on('*', fn);
    return () => this.ee.off('*', fn);
  }
}
