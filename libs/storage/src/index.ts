export { SqliteFile, DEFAULT_BUSY_TIMEOUT_MS, type SqliteFileOptions } from './sqlite-file.js';
export { type Migration, type ExistingSchema, type SchemaMigrationsTable, latestVersion } from './migration.js';
export { toStorageError, describeFile, type DatabaseLabel } from './storage-error.js';
