import { resolveStatePath, type StatePaths, type Web4Config } from '@web4/core';
import { feedbackMigrations, metricsMigrations } from '@web4/metrics-store';
import { PostgresDatabase, SqliteFile, inspectSqliteFile, latestVersion, storageTarget, type Migration } from '@web4/storage';

/** One database of a state root: a SQLite file, or one migration list's schema in the PostgreSQL database. */
export interface StorageDatabase {
  /** metrics, feedback, graph, metadata */
  name: string;
  dialect: 'sqlite' | 'postgres';
  /** The file, or the URL (password hidden) and schema. */
  location: string;
  /** The setting that chooses it. */
  setting: string;
  migrations: Migration[];
  /** PostgreSQL: the URL with its password, to connect. */
  url?: string;
}

export interface DatabaseStatus {
  name: string;
  dialect: 'sqlite' | 'postgres';
  location: string;
  /** `missing`: no file / schema yet; `newer`: written by a newer web4 (left alone). */
  state: 'current' | 'pending' | 'missing' | 'newer';
  version: number;
  latest: number;
  pending: Array<{ version: number; name: string }>;
}

export interface MigrateResult {
  name: string;
  dialect: 'sqlite' | 'postgres';
  location: string;
  from: number;
  to: number;
  applied: Array<{ version: number; name: string }>;
}

/**
 * The databases of this state root for the configured dialect. SQLite: one file per list.
 * PostgreSQL: the records (metrics: query metrics, daily summary, runs, validations, model
 * registry; feedback) in the configured database, one schema each; the retrieval tiers' graph
 * and metadata files stay SQLite under the state root in both cases.
 */
export async function storageDatabases(config: Web4Config, paths: StatePaths): Promise<StorageDatabase[]> {
  const target = storageTarget(config);
  // rag-tiers loads its embedding stack on import: only its migration lists are wanted here.
  const { graphMigrations, metadataMigrations } = await import('@web4/rag-tiers');
  const tiers: StorageDatabase[] = [
    { name: 'graph', dialect: 'sqlite', location: resolveStatePath(config, config.rag.graphDb), setting: 'rag.graphDb', migrations: graphMigrations },
    { name: 'metadata', dialect: 'sqlite', location: resolveStatePath(config, config.rag.metadataDb), setting: 'rag.metadataDb', migrations: metadataMigrations },
  ];
  if (target.dialect === 'sqlite') {
    return [
      { name: 'metrics', dialect: 'sqlite', location: paths.metricsDb, setting: 'paths.metricsDb', migrations: metricsMigrations },
      { name: 'feedback', dialect: 'sqlite', location: paths.feedbackDb, setting: 'paths.feedbackDb', migrations: feedbackMigrations },
      ...tiers,
    ];
  }
  const records = (name: string, migrations: Migration[]): StorageDatabase => ({
    name, dialect: 'postgres', location: `${target.displayUrl} (schema ${name})`, setting: 'storage.url', migrations, url: target.url,
  });
  return [records('metrics', metricsMigrations), records('feedback', feedbackMigrations), ...tiers];
}

function pendingOf(migrations: Migration[], version: number): Array<{ version: number; name: string }> {
  return [...migrations].sort((a, b) => a.version - b.version).filter((m) => m.version > version).map((m) => ({ version: m.version, name: m.name }));
}

/** Each database's version against the newest this program knows; reads only. */
export async function databaseStatus(database: StorageDatabase): Promise<DatabaseStatus> {
  const latest = latestVersion(database.migrations);
  const base = { name: database.name, dialect: database.dialect, location: database.location, latest };
  let found: { version: number; name: string | undefined };
  let exists: boolean;
  if (database.dialect === 'sqlite') {
    const file = inspectSqliteFile(database.location, { label: database.name, setting: database.setting });
    found = file;
    exists = file.exists;
  } else {
    const pg = PostgresDatabase.connect(database.url!, { schema: database.name, label: database.name, poolMax: 1 });
    try {
      found = await pg.schemaVersion();
      exists = found.version > 0;
    } finally {
      await pg.destroy();
    }
  }
  const pending = pendingOf(database.migrations, found.version);
  const state = found.version > latest ? 'newer' : !exists ? 'missing' : pending.length > 0 ? 'pending' : 'current';
  return { ...base, state, version: found.version, pending };
}

/** Apply what is pending; `onStep` hears each step before it is applied. */
export async function migrateDatabase(database: StorageDatabase, config: Web4Config, onStep: (step: { version: number; name: string }) => void): Promise<MigrateResult> {
  const base = { name: database.name, dialect: database.dialect, location: database.location };
  if (database.dialect === 'sqlite') {
    const before = inspectSqliteFile(database.location, { label: database.name, setting: database.setting });
    const pending = pendingOf(database.migrations, before.version);
    // SQLite applies the pending steps in one BEGIN IMMEDIATE transaction: announced together, then done.
    pending.forEach(onStep);
    const file = SqliteFile.open(database.location, database.migrations, {
      busyTimeoutMs: config.monitoring.busyTimeoutMs,
      label: database.name,
      setting: database.setting,
    });
    const to = file.schemaVersion();
    file.close();
    return { ...base, from: before.version, to, applied: pending.filter((p) => p.version <= to) };
  }
  const pg = PostgresDatabase.connect(database.url!, { schema: database.name, label: database.name, poolMax: 1 });
  try {
    const result = await pg.migrate(database.migrations, (step) => onStep({ version: step.version, name: step.name }));
    return { ...base, ...result };
  } finally {
    await pg.destroy();
  }
}
