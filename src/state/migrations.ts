// Schema migrations of the state database, applied in order by umzug; never edit a shipped one.
import type Database from 'better-sqlite3';

export interface Migration {
  name: string;
  up: (db: Database.Database) => void;
}

export const MIGRATIONS: Migration[] = [
  {
    name: '0001-qubes',
    up: (db) =>
      db.exec(`
      CREATE TABLE qubes (
        name TEXT PRIMARY KEY,
        uuid TEXT NOT NULL UNIQUE,
        qid INTEGER NOT NULL UNIQUE,
        klass TEXT NOT NULL,
        label TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE props (
        qube TEXT NOT NULL REFERENCES qubes(name) ON DELETE CASCADE ON UPDATE CASCADE,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (qube, key)
      );
      CREATE TABLE tags (
        qube TEXT NOT NULL REFERENCES qubes(name) ON DELETE CASCADE ON UPDATE CASCADE,
        tag TEXT NOT NULL,
        PRIMARY KEY (qube, tag)
      );
      CREATE TABLE features (
        qube TEXT NOT NULL REFERENCES qubes(name) ON DELETE CASCADE ON UPDATE CASCADE,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (qube, key)
      );
      CREATE TABLE globals (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE power (
        qube TEXT PRIMARY KEY REFERENCES qubes(name) ON DELETE CASCADE ON UPDATE CASCADE,
        state TEXT NOT NULL,
        since TEXT NOT NULL
      );
    `),
  },
  {
    name: '0002-audit',
    up: (db) =>
      db.exec(`
      CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        time TEXT NOT NULL,
        actor TEXT NOT NULL,
        event TEXT NOT NULL,
        qube TEXT,
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    `),
  },
  {
    name: '0003-firewall',
    up: (db) =>
      db.exec(`
      CREATE TABLE firewall (
        qube TEXT PRIMARY KEY REFERENCES qubes(name) ON DELETE CASCADE ON UPDATE CASCADE,
        rules TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `),
  },
];
