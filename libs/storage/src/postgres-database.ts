import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { StorageError } from '@web4/core';
import { latestVersion, type Migration } from './migration.js';
import type { FoundVersion } from './migrate.js';
import { migratePostgres, postgresSchemaVersion, type PostgresMigrateResult } from './postgres-migrate.js';
import { redactUrl, toPostgresError } from './postgres-error.js';
import type { DatabaseLabel } from './storage-error.js';

export interface PostgresDatabaseOptions extends DatabaseLabel {
  /**
   * The PostgreSQL schema holding this migration list's tables and its `schema_migrations`
   * (`metrics`, `feedback`): one database holds every list, each in its own schema, as each
   * list has its own file on SQLite. The connections' search_path is this schema alone, so the
   * queries and migration steps name tables as they do on SQLite.
   */
  schema: string;
  /** Connections kept open at most (default 4). */
  poolMax?: number;
  /** How long to wait for a connection before failing (default 10 s). */
  connectTimeoutMs?: number;
  /** Called before each migration step is applied (progress lines). */
  onStep?: (step: Migration) => void;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * One migration list's schema in a PostgreSQL database, behind kysely's own PostgresDialect on a
 * `pg` Pool. `open` refuses a schema written by a newer web4 (nothing changed) and applies the
 * pending steps; `connect` only connects (for `storage status`).
 */
/**
 * `pg` hands an 8-byte integer (`bigint`, and `count(*)`) over as a string, so that nothing past
 * 2^53 is rounded. Our 8-byte columns (day sums, row keys) stay far below 2^53, and the reports
 * add them up: read as numbers, as SQLite hands them over; a value past 2^53 stays a string
 * (`storage copy`'s verification then compares its digits exactly).
 */
function typeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === INT8_OID && format !== 'binary') return (value) => (Number.isSafeInteger(Number(value)) ? Number(value) : value);
  return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
}
const INT8_OID = 20;

export class PostgresDatabase<DB> {
  private constructor(
    readonly url: string,
    readonly schema: string,
    readonly db: Kysely<DB>,
    readonly about: DatabaseLabel,
  ) {}

  /** The URL without its password. */
  get displayUrl(): string {
    return redactUrl(this.url);
  }

  static connect<DB>(url: string, options: PostgresDatabaseOptions): PostgresDatabase<DB> {
    if (!SCHEMA_NAME.test(options.schema)) throw new Error(`"${options.schema}" is not a schema name this opener uses (lowercase letters, digits, "_").`);
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolMax ?? 4,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      options: `-c search_path=${options.schema}`,
      application_name: 'web4',
      types: { getTypeParser: typeParser },
    });
    // An idle connection the server drops (restart, network) must not end the process.
    pool.on('error', () => undefined);
    return new PostgresDatabase<DB>(url, options.schema, new Kysely<DB>({ dialect: new PostgresDialect({ pool }) }), options);
  }

  /** Connect, refuse a newer schema, apply the pending steps. */
  static async open<DB>(url: string, migrations: readonly Migration[], options: PostgresDatabaseOptions): Promise<PostgresDatabase<DB>> {
    const database = PostgresDatabase.connect<DB>(url, options);
    try {
      await database.migrate(migrations, options.onStep);
      return database;
    } catch (error) {
      await database.destroy();
      throw error;
    }
  }

  async migrate(migrations: readonly Migration[], onStep?: (step: Migration) => void): Promise<PostgresMigrateResult> {
    try {
      return await migratePostgres(this.db as Kysely<unknown>, this.schema, migrations, (found) => this.refuseNewer(found, migrations), onStep);
    } catch (error) {
      throw toPostgresError(error, this.url, `migrate the ${this.schema} schema`);
    }
  }

  /** The schema's version, by reads only (0 before the first migration). */
  async schemaVersion(): Promise<FoundVersion> {
    try {
      return await postgresSchemaVersion(this.db as Kysely<unknown>, this.schema);
    } catch (error) {
      throw toPostgresError(error, this.url, `read the ${this.schema} schema's version`);
    }
  }

  async destroy(): Promise<void> {
    await this.db.destroy();
  }

  private refuseNewer(found: FoundVersion, migrations: readonly Migration[]): void {
    const known = latestVersion(migrations);
    if (found.version <= known) return;
    const what = this.about.label ? `The ${this.about.label} records in ${this.displayUrl}` : `The PostgreSQL database ${this.displayUrl}`;
    throw new StorageError(
      `${what} (schema ${this.schema}) were written by a newer version of web4: the schema is at version ${found.version}` +
        `${found.name ? ` (${found.name})` : ''}, and this program knows versions up to ${known}. Nothing in it was changed.`,
      {
        hint: 'Upgrade web4 to the release that wrote it (git pull && npm install, or install the newer package) and run again; or point storage.url at another database.',
        details: { url: this.displayUrl, schema: this.schema, version: found.version, knownVersion: known },
      },
    );
  }
}
