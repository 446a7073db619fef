import BetterSqlite3 from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { StorageError } from '@web4/core';
import type { Migration } from './migration.js';
import { SqliteFile } from './sqlite-file.js';

const root = mkdtempSync(join(tmpdir(), 'web4-storage-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (name = 'db') => join(root, `${name}-${++n}.db`);

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

const notes1: Migration = {
  version: 1,
  name: 'notes',
  up: (db) => [db.schema.createTable('notes').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('body', 'text', (c) => c.notNull())],
  adopt: (s) => s.hasTable('notes'),
};
const notesTag2: Migration = {
  version: 2,
  name: 'notes_tag',
  up: (db) => [db.schema.alterTable('notes').addColumn('tag', 'text')],
  adopt: (s) => s.hasColumn('notes', 'tag'),
};
const tags3: Migration = {
  version: 3,
  name: 'tags',
  up: (db) => [db.schema.createTable('tags').addColumn('name', 'text', (c) => c.primaryKey())],
};
const ALL = [notes1, notesTag2, tags3];

function versions(path: string): Array<{ version: number; name: string }> {
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    return db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as Array<{ version: number; name: string }>;
  } finally {
    db.close();
  }
}

function caught(fn: () => unknown): StorageError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    return error as StorageError;
  }
  throw new Error('expected a StorageError, nothing was thrown');
}

describe('SqliteFile.open', () => {
  it('creates the directory and the file in WAL with synchronous=NORMAL and the given busy timeout, and applies the migrations in order', () => {
    const path = join(root, 'nested/dir', 'fresh.db');
    const file = SqliteFile.open<{ notes: { id: number; body: string; tag: string | null } }>(path, [tags3, notes1, notesTag2], { busyTimeoutMs: 1234 });
    expect(file.handle.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(file.handle.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(file.handle.pragma('busy_timeout', { simple: true })).toBe(1234);
    expect(file.schemaVersion()).toBe(3);
    file.runNow(file.db.insertInto('notes').values({ id: 1, body: 'kept', tag: 'x' }));
    file.close();
    expect(versions(path)).toEqual([
      { version: 1, name: 'notes' },
      { version: 2, name: 'notes_tag' },
      { version: 3, name: 'tags' },
    ]);
  });

  it('uses the default busy timeout of monitoring.busyTimeoutMs (5000 ms) when none is given', () => {
    const file = SqliteFile.open(fresh(), ALL);
    expect(file.handle.pragma('busy_timeout', { simple: true })).toBe(5000);
    file.close();
  });

  it('applies only the pending steps on a later open, and none (no write) when the file is current', () => {
    const path = fresh();
    SqliteFile.open(path, [notes1]).close();
    const insert = new BetterSqlite3(path);
    insert.prepare("INSERT INTO notes (id, body) VALUES (1, 'before 2')").run();
    insert.close();
    const file = SqliteFile.open<{ notes: { id: number; body: string; tag: string | null } }>(path, ALL);
    expect(file.allNow(file.db.selectFrom('notes').selectAll())).toEqual([{ id: 1, body: 'before 2', tag: null }]);
    file.close();
    const before = sha256(path);
    SqliteFile.open(path, ALL).close();
    expect(sha256(path)).toBe(before);
    expect(versions(path).map((v) => v.version)).toEqual([1, 2, 3]);
  });

  it('runs raw statements a migration compiled with sql`…` (what kysely has no builder for)', () => {
    const fts: Migration = {
      version: 1,
      name: 'fts',
      up: (db: Kysely<unknown>) => [sql`CREATE VIRTUAL TABLE words USING fts5(body, tokenize = 'trigram')`.compile(db)],
    };
    const file = SqliteFile.open(fresh(), [fts]);
    file.handle.prepare("INSERT INTO words (body) VALUES ('OverlapChunker')").run();
    expect(file.handle.prepare("SELECT count(*) AS n FROM words WHERE words MATCH '\"chunker\"'").get()).toEqual({ n: 1 });
    file.close();
  });

  it('refuses a list with a repeated or non-positive version before touching the file', () => {
    const path = fresh();
    expect(() => SqliteFile.open(path, [notes1, { ...tags3, version: 1 }])).toThrow(/share version 1/);
    expect(() => SqliteFile.open(fresh(), [{ ...tags3, version: 0 }])).toThrow(/versions are whole numbers from 1/);
  });
});

describe('a file written by a newer version', () => {
  it('is refused with which file, which version it has, which this program knows and what to do; nothing in it changes', () => {
    const path = fresh('newer');
    const file = SqliteFile.open<{ notes: { id: number; body: string; tag: string | null } }>(path, ALL);
    file.runNow(file.db.insertInto('notes').values({ id: 7, body: 'from the newer program', tag: null }));
    file.close();
    const before = sha256(path);

    const error = caught(() => SqliteFile.open(path, [notes1, notesTag2], { label: 'metadata', setting: 'rag.metadataDb' }));
    expect(error.message).toBe(
      `The metadata database ${path} was written by a newer version of web4: its schema is at version 3 (tags), and this program knows versions up to 2. Nothing in it was changed.`,
    );
    expect(error.hint).toMatch(/^Upgrade web4 to the release that wrote it .* or point rag\.metadataDb at another file/);
    expect(error.details).toMatchObject({ file: path, version: 3, knownVersion: 2 });
    expect(sha256(path)).toBe(before);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('is refused before its journal mode is touched: a rollback-journal file stays byte-identical', () => {
    // A newer program might not use WAL; switching it would rewrite the header.
    const path = fresh('newer-delete');
    const db = new BetterSqlite3(path);
    db.exec(`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL);
      INSERT INTO schema_migrations VALUES (1, 'notes', '2026-01-01T00:00:00Z'), (9, 'future', '2027-01-01T00:00:00Z');`);
    expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
    db.close();
    const before = sha256(path);
    const error = caught(() => SqliteFile.open(path, ALL));
    expect(error.message).toContain(`${path} was written by a newer version of web4: its schema is at version 9 (future), and this program knows versions up to 3.`);
    expect(sha256(path)).toBe(before);
  });
});

describe('a file that is not a SQLite database', () => {
  for (const [what, content] of [
    ['a text file', 'this is not sqlite at all, just text that is long enough to be read as a header\n'.repeat(50)],
    ['a short text file', 'hello\n'],
    ['a JSON file', JSON.stringify({ queries: [1, 2, 3] })],
  ] as const) {
    it(`${what}: a StorageError naming it, and the file stays byte-identical`, () => {
      const path = fresh('text');
      writeFileSync(path, content);
      const before = sha256(path);
      const error = caught(() => SqliteFile.open(path, ALL, { label: 'graph', setting: 'rag.graphDb', recreate: '`web4 index corpus` fills a new one' }));
      expect(error.message).toMatch(new RegExp(`^The graph database ${path.replaceAll('.', '\\.')} is not a SQLite database or is corrupt`));
      expect(error.hint).toContain(`mv "${path}" "${path}.corrupt"`);
      expect(error.hint).toContain('`web4 index corpus` fills a new one');
      expect(error.hint).toContain('rag.graphDb');
      expect(sha256(path)).toBe(before);
      expect(existsSync(`${path}-wal`)).toBe(false);
      expect(existsSync(`${path}-journal`)).toBe(false);
    });
  }

  it('the hint names where its path was set: the WEB4_* variable when it is set, else web4.config.json', () => {
    const path = fresh('text');
    writeFileSync(path, 'not sqlite\n'.repeat(100));
    const open = () => caught(() => SqliteFile.open(path, ALL, { label: 'graph', setting: 'rag.graphDb' }));
    const saved = process.env.WEB4_RAG__GRAPH_DB;
    try {
      delete process.env.WEB4_RAG__GRAPH_DB;
      expect(open().hint).toContain('Its path is set by rag.graphDb in web4.config.json.');
      process.env.WEB4_RAG__GRAPH_DB = path;
      expect(open().hint).toContain('Its path is set by the environment variable WEB4_RAG__GRAPH_DB (rag.graphDb).');
      expect(open().hint).not.toContain('web4.config.json');
    } finally {
      if (saved === undefined) delete process.env.WEB4_RAG__GRAPH_DB;
      else process.env.WEB4_RAG__GRAPH_DB = saved;
    }
  });

  it('a directory where the file should be: a StorageError naming it', () => {
    const path = fresh('dir');
    mkdirSync(path);
    expect(caught(() => SqliteFile.open(path, ALL, { label: 'metadata' })).message).toBe(`The metadata database ${path} exists but is not a file.`);
  });
});

describe('adopting a file made before numbered migrations', () => {
  it('records the steps whose tables are there without running them, runs the rest, and keeps every row', () => {
    const path = fresh('legacy');
    const old = new BetterSqlite3(path);
    old.exec(`CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
      INSERT INTO notes VALUES (1, 'one'), (2, 'two');`);
    old.close();
    const file = SqliteFile.open<{ notes: { id: number; body: string; tag: string | null }; tags: { name: string } }>(path, ALL);
    // notes was adopted (rows kept), notes_tag ran (the column was missing), tags ran (no adopt).
    expect(file.allNow(file.db.selectFrom('notes').selectAll().orderBy('id'))).toEqual([
      { id: 1, body: 'one', tag: null },
      { id: 2, body: 'two', tag: null },
    ]);
    expect(file.allNow(file.db.selectFrom('tags').selectAll())).toEqual([]);
    file.close();
    expect(versions(path).map((v) => v.version)).toEqual([1, 2, 3]);
  });

  it('adopts a column added by an ad-hoc ALTER TABLE instead of adding it twice', () => {
    const path = fresh('legacy-alter');
    const old = new BetterSqlite3(path);
    old.exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL); ALTER TABLE notes ADD COLUMN tag TEXT;
      INSERT INTO notes VALUES (1, 'one', 'x');`);
    old.close();
    const file = SqliteFile.open(path, ALL);
    expect(file.handle.prepare('SELECT * FROM notes').all()).toEqual([{ id: 1, body: 'one', tag: 'x' }]);
    file.close();
    expect(versions(path).map((v) => v.version)).toEqual([1, 2, 3]);
  });
});

describe('busy timeout', () => {
  it('waits the configured time for another connection holding the write lock, then fails naming the file and the setting', () => {
    const path = fresh('busy');
    SqliteFile.open(path, [notes1]).close();
    const holder = new BetterSqlite3(path);
    holder.pragma('journal_mode = WAL');
    holder.exec('BEGIN IMMEDIATE');
    try {
      const started = performance.now();
      const error = caught(() => SqliteFile.open(path, ALL, { busyTimeoutMs: 300 }));
      const waited = performance.now() - started;
      expect(error.message).toBe(`${path} stayed locked by another process; could not open the database.`);
      expect(error.hint).toContain('monitoring.busyTimeoutMs');
      expect(waited).toBeGreaterThanOrEqual(280);
      expect(waited).toBeLessThan(5000);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    // Once the lock is gone the same open succeeds and applies the pending steps.
    SqliteFile.open(path, ALL).close();
    expect(versions(path).map((v) => v.version)).toEqual([1, 2, 3]);
  });
});
