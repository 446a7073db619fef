import BetterSqlite3 from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { schemaVersion, type FoundVersion } from './migrate.js';
import { toStorageError, type DatabaseLabel } from './storage-error.js';

/**
 * A SQLite file's schema version without opening it for writing (no WAL switch, no migration):
 * `exists: false` and version 0 when there is no file yet. A file that is not SQLite throws the
 * opener's StorageError.
 */
export function inspectSqliteFile(path: string, about: DatabaseLabel = {}): FoundVersion & { exists: boolean } {
  if (!existsSync(path)) return { exists: false, version: 0, name: undefined };
  let handle: BetterSqlite3.Database | undefined;
  try {
    handle = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
    return { exists: true, ...schemaVersion(handle) };
  } catch (error) {
    throw toStorageError(error, path, 'read its schema version', about);
  } finally {
    handle?.close();
  }
}
