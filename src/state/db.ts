// Opens the one state file (SQLite, WAL) and brings its schema up to date with umzug.
import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { Umzug, type UmzugStorage } from 'umzug';
import { MIGRATIONS } from './migrations.js';

class SqliteStorage implements UmzugStorage {
  constructor(private readonly db: Database.Database) {
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  }
  async logMigration({ name }: { name: string }): Promise<void> {
    this.db.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)').run(name, new Date().toISOString());
  }
  async unlogMigration({ name }: { name: string }): Promise<void> {
    this.db.prepare('DELETE FROM schema_migrations WHERE name = ?').run(name);
  }
  async executed(): Promise<string[]> {
    return (this.db.prepare('SELECT name FROM schema_migrations ORDER BY name').all() as { name: string }[]).map((r) => r.name);
  }
}

export async function openDatabase(file: string): Promise<Database.Database> {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // Made 0600 before SQLite opens it: SQLite gives -wal and -shm the main file's mode.
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // Commands, RPC arguments and firewall rules live here: owner only, also for -wal/-shm files an
  // older version left 0644.
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
  const umzug = new Umzug({
    migrations: MIGRATIONS.map((m) => ({
      name: m.name,
      // Each migration and its log row commit together.
      up: async () => db.transaction(() => m.up(db))(),
    })),
    storage: new SqliteStorage(db),
    logger: undefined,
  });
  await umzug.up();
  return db;
}
