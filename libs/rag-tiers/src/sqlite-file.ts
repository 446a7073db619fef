import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, SqliteDialect } from 'kysely';
import { StorageError } from '@web4/core';

/**
 * Open one SQLite file of a tier through kysely: WAL so readers never wait on the writer,
 * a busy timeout for a second process (the CLI while the gateway runs).
 */
export function openSqliteFile<DB>(path: string, what: string): { db: Kysely<DB>; raw: Database.Database } {
  let raw: Database.Database;
  try {
    mkdirSync(dirname(path), { recursive: true });
    raw = new Database(path);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.pragma('busy_timeout = 5000');
    // Touch the file so a corrupt or foreign file fails here, with a message that names it.
    raw.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (cause) {
    throw new StorageError(`Cannot open the ${what} database ${path}: ${(cause as Error).message}`, {
      hint: `Check the file's permissions, or move it aside and re-index (\`web4 index corpus\` rebuilds it). The path is rag.${what === 'graph' ? 'graphDb' : 'metadataDb'} in web4.config.json.`,
      cause,
    });
  }
  return { db: new Kysely<DB>({ dialect: new SqliteDialect({ database: raw }) }), raw };
}
