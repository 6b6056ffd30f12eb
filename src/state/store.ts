// The state store: qubes, properties, tags, features, globals, power state; each change one transaction with its audit row.
import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { BulkheadError } from '../errors/index.js';
import type { Label, PropValue, QubeClass, QubeRecord, SystemView } from '../model/index.js';
import { appendAudit } from './audit.js';

export type { PowerState } from '../contract/common.js';
import type { PowerState } from '../contract/common.js';

/** Highest qid; each qid owns a uid range and addresses, so the count is bounded. */
export const MAX_QID = 4095;

interface QubeRow {
  name: string;
  uuid: string;
  qid: number;
  klass: string;
  label: string;
  created_at: string;
}

/** Turns an audit row's detail into what the log keeps (the daemon's rule for disposables); returns it unchanged by default. */
export type AuditRedactor = (event: string, qube: string | null, detail: unknown) => unknown;

export class StateStore {
  private redactor: AuditRedactor | null = null;

  constructor(readonly db: Database.Database) {}

  setAuditRedactor(fn: AuditRedactor | null): void {
    this.redactor = fn;
  }

  /** The detail as the audit log will keep it; call while the qubes the row names still exist. */
  redactAudit(event: string, qube: string | null, detail: unknown): unknown {
    return this.redactor ? this.redactor(event, qube, detail) : detail;
  }

  private append(actor: string, event: string, qube: string | null, detail: unknown): void {
    appendAudit(this.db, actor, event, qube, this.redactAudit(event, qube, detail));
  }

  private tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  // ---- reads ----
  getQube(name: string): QubeRecord | undefined {
    const r = this.db.prepare('SELECT * FROM qubes WHERE name = ?').get(name) as QubeRow | undefined;
    return r ? this.hydrate(r) : undefined;
  }

  requireQube(name: string): QubeRecord {
    const q = this.getQube(name);
    if (!q) throw new BulkheadError('ERR_NO_SUCH_QUBE', `no qube named '${name}'`);
    return q;
  }

  listQubes(): QubeRecord[] {
    // Three queries for all qubes (not three per qube): system() is read on every action.
    const rows = this.db.prepare('SELECT * FROM qubes ORDER BY name').all() as QubeRow[];
    const props = new Map<string, Record<string, PropValue>>();
    const tags = new Map<string, string[]>();
    const features = new Map<string, Record<string, string>>();
    for (const p of this.db.prepare('SELECT qube, key, value FROM props').all() as { qube: string; key: string; value: string }[]) {
      const m = props.get(p.qube) ?? {};
      m[p.key] = JSON.parse(p.value) as PropValue;
      props.set(p.qube, m);
    }
    for (const t of this.db.prepare('SELECT qube, tag FROM tags ORDER BY tag').all() as { qube: string; tag: string }[]) {
      const l = tags.get(t.qube) ?? [];
      l.push(t.tag);
      tags.set(t.qube, l);
    }
    for (const f of this.db.prepare('SELECT qube, key, value FROM features ORDER BY key').all() as { qube: string; key: string; value: string }[]) {
      const m = features.get(f.qube) ?? {};
      m[f.key] = f.value;
      features.set(f.qube, m);
    }
    return rows.map((r) => ({
      name: r.name,
      uuid: r.uuid,
      qid: r.qid,
      klass: r.klass as QubeClass,
      label: r.label as Label,
      props: props.get(r.name) ?? {},
      tags: tags.get(r.name) ?? [],
      features: features.get(r.name) ?? {},
      createdAt: r.created_at,
    }));
  }

  private hydrate(r: QubeRow): QubeRecord {
    const props: Record<string, PropValue> = {};
    for (const p of this.db.prepare('SELECT key, value FROM props WHERE qube = ?').all(r.name) as { key: string; value: string }[]) {
      props[p.key] = JSON.parse(p.value) as PropValue;
    }
    const tags = (this.db.prepare('SELECT tag FROM tags WHERE qube = ? ORDER BY tag').all(r.name) as { tag: string }[]).map((t) => t.tag);
    const features: Record<string, string> = {};
    for (const f of this.db.prepare('SELECT key, value FROM features WHERE qube = ? ORDER BY key').all(r.name) as { key: string; value: string }[]) {
      features[f.key] = f.value;
    }
    return { name: r.name, uuid: r.uuid, qid: r.qid, klass: r.klass as QubeClass, label: r.label as Label, props, tags, features, createdAt: r.created_at };
  }

  globals(): Record<string, PropValue> {
    const g: Record<string, PropValue> = {};
    for (const r of this.db.prepare('SELECT key, value FROM globals').all() as { key: string; value: string }[]) g[r.key] = JSON.parse(r.value) as PropValue;
    return g;
  }

  system(): SystemView {
    return { qubes: new Map(this.listQubes().map((q) => [q.name, q])), globals: this.globals() };
  }

  power(name: string): PowerState {
    const r = this.db.prepare('SELECT state FROM power WHERE qube = ?').get(name) as { state: PowerState } | undefined;
    return r?.state ?? 'halted';
  }

  allPower(): Map<string, PowerState> {
    return new Map((this.db.prepare('SELECT qube, state FROM power').all() as { qube: string; state: PowerState }[]).map((r) => [r.qube, r.state]));
  }

  // ---- writes (each one transaction, audited) ----
  createQube(
    actor: string,
    init: { name: string; klass: QubeClass; label: Label; props: Record<string, PropValue>; tags?: string[]; features?: Record<string, string> },
  ): QubeRecord {
    return this.tx(() => {
      if (this.db.prepare('SELECT 1 FROM qubes WHERE name = ?').get(init.name)) {
        throw new BulkheadError('ERR_QUBE_EXISTS', `a qube named '${init.name}' already exists`);
      }
      const qid = this.freeQid();
      const uuid = randomUUID();
      const createdAt = new Date().toISOString();
      this.db
        .prepare('INSERT INTO qubes (name, uuid, qid, klass, label, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(init.name, uuid, qid, init.klass, init.label, createdAt);
      const ins = this.db.prepare('INSERT INTO props (qube, key, value) VALUES (?, ?, ?)');
      for (const [k, v] of Object.entries(init.props)) ins.run(init.name, k, JSON.stringify(v));
      for (const t of init.tags ?? []) this.db.prepare('INSERT OR IGNORE INTO tags (qube, tag) VALUES (?, ?)').run(init.name, t);
      for (const [k, v] of Object.entries(init.features ?? {}))
        this.db.prepare('INSERT INTO features (qube, key, value) VALUES (?, ?, ?)').run(init.name, k, v);
      this.db.prepare('INSERT INTO power (qube, state, since) VALUES (?, ?, ?)').run(init.name, 'halted', createdAt);
      this.append(actor, 'qube-created', init.name, { klass: init.klass, label: init.label, qid, uuid, props: init.props, tags: init.tags ?? [] });
      return this.requireQube(init.name);
    });
  }

  private freeQid(): number {
    // Lowest free qid from 1: qids are reused so uid ranges and addresses stay bounded.
    const used = (this.db.prepare('SELECT qid FROM qubes ORDER BY qid').all() as { qid: number }[]).map((r) => r.qid);
    let qid = 1;
    for (const u of used) {
      if (u === qid) qid++;
      else if (u > qid) break;
    }
    if (qid > MAX_QID) throw new BulkheadError('ERR_INVALID_VALUE', `no free qid: at most ${MAX_QID} qubes`);
    return qid;
  }

  removeQube(actor: string, name: string, detail: Record<string, unknown> = {}): void {
    this.tx(() => {
      this.requireQube(name);
      // Judged while the record still exists (a disposable's row is cut to its audit level).
      const kept = this.redactAudit('qube-removed', name, detail);
      this.db.prepare('DELETE FROM qubes WHERE name = ?').run(name);
      appendAudit(this.db, actor, 'qube-removed', name, kept);
    });
  }

  setProp(actor: string, name: string, key: string, value: PropValue): void {
    this.tx(() => {
      this.requireQube(name);
      if (key === 'label') {
        this.db.prepare('UPDATE qubes SET label = ? WHERE name = ?').run(value, name);
      } else {
        this.db
          .prepare('INSERT INTO props (qube, key, value) VALUES (?, ?, ?) ON CONFLICT (qube, key) DO UPDATE SET value = excluded.value')
          .run(name, key, JSON.stringify(value));
      }
      this.append(actor, 'property-set', name, { key, value });
    });
  }

  resetProp(actor: string, name: string, key: string): void {
    this.tx(() => {
      this.requireQube(name);
      this.db.prepare('DELETE FROM props WHERE qube = ? AND key = ?').run(name, key);
      this.append(actor, 'property-reset', name, { key });
    });
  }

  addTag(actor: string, name: string, tag: string): boolean {
    return this.tx(() => {
      this.requireQube(name);
      const r = this.db.prepare('INSERT OR IGNORE INTO tags (qube, tag) VALUES (?, ?)').run(name, tag);
      if (r.changes) this.append(actor, 'tag-added', name, { tag });
      return r.changes > 0;
    });
  }

  removeTag(actor: string, name: string, tag: string): boolean {
    return this.tx(() => {
      this.requireQube(name);
      const r = this.db.prepare('DELETE FROM tags WHERE qube = ? AND tag = ?').run(name, tag);
      if (r.changes) this.append(actor, 'tag-removed', name, { tag });
      return r.changes > 0;
    });
  }

  setFeature(actor: string, name: string, key: string, value: string): void {
    this.tx(() => {
      this.requireQube(name);
      this.db
        .prepare('INSERT INTO features (qube, key, value) VALUES (?, ?, ?) ON CONFLICT (qube, key) DO UPDATE SET value = excluded.value')
        .run(name, key, value);
      this.append(actor, 'feature-set', name, { key, value });
    });
  }

  removeFeature(actor: string, name: string, key: string): boolean {
    return this.tx(() => {
      this.requireQube(name);
      const r = this.db.prepare('DELETE FROM features WHERE qube = ? AND key = ?').run(name, key);
      if (r.changes) this.append(actor, 'feature-removed', name, { key });
      return r.changes > 0;
    });
  }

  setGlobal(actor: string, key: string, value: PropValue): void {
    this.tx(() => {
      this.db.prepare('INSERT INTO globals (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
      this.append(actor, 'global-set', null, { key, value });
    });
  }

  /** Record a lifecycle transition (started, stopped, paused...) with its audit row. */
  setPower(actor: string, name: string, state: PowerState, event: string, detail: Record<string, unknown> = {}): void {
    this.tx(() => {
      this.db
        .prepare('INSERT INTO power (qube, state, since) VALUES (?, ?, ?) ON CONFLICT (qube) DO UPDATE SET state = excluded.state, since = excluded.since')
        .run(name, state, new Date().toISOString());
      this.append(actor, event, name, detail);
    });
  }

  firewallRules(name: string): string[] | undefined {
    const r = this.db.prepare('SELECT rules FROM firewall WHERE qube = ?').get(name) as { rules: string } | undefined;
    return r ? (JSON.parse(r.rules) as string[]) : undefined;
  }

  setFirewallRules(actor: string, name: string, rules: string[]): void {
    this.tx(() => {
      this.requireQube(name);
      this.db
        .prepare(
          'INSERT INTO firewall (qube, rules, updated_at) VALUES (?, ?, ?) ON CONFLICT (qube) DO UPDATE SET rules = excluded.rules, updated_at = excluded.updated_at',
        )
        .run(name, JSON.stringify(rules), new Date().toISOString());
      this.append(actor, 'firewall-set', name, { rules });
    });
  }

  /** An audited event that changes no table (RPC decisions, exec, start failures). */
  audit(actor: string, event: string, qube: string | null, detail: unknown): void {
    this.tx(() => void this.append(actor, event, qube, detail));
  }
}
