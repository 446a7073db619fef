export { SqliteFile, DEFAULT_BUSY_TIMEOUT_MS, type SqliteFileOptions } from './sqlite-file.js';
export { type Migration, type ExistingSchema, type SchemaMigrationsTable, latestVersion } from './migration.js';
export { toStorageError, describeFile, type DatabaseLabel } from './storage-error.js';
export { autoIncrementKey, float8, dialectOf, type StorageDialect } from './portable-columns.js';
export { PostgresDatabase, type PostgresDatabaseOptions } from './postgres-database.js';
export { migratePostgres, postgresSchemaVersion, type PostgresMigrateResult } from './postgres-migrate.js';
export { toPostgresError, redactUrl } from './postgres-error.js';
export { storageTarget, type StorageTarget } from './storage-target.js';
export { schemaVersion as sqliteSchemaVersion, type FoundVersion } from './migrate.js';
export { inspectSqliteFile } from './sqlite-status.js';
export {
  copyToPostgres,
  COPY_MARKS_TABLE,
  type CopySource,
  type CopyOptions,
  type CopyProgress,
  type CopyResult,
  type CopySourceResult,
  type CopyTableResult,
  type TableDifference,
} from './copy.js';
export { counted } from './counted.js';
export { canonicalValue, canonicalRow, valueKindOf, type ValueKind } from './copy-canonical.js';
