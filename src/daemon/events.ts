// The one typed map of admin events; the API stream, the audit log and the dashboard consume it.
import { EventEmitter } from 'node:events';

import type { EventMap, EventName } from '../contract/events.js';
export type { EventMap, EventName };

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
