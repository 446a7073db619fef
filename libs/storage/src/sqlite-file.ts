import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, type Compilable } from 'kysely';
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { StorageError } from '@web4/core';
import type { Migration } from './migration.js';
import { migrate, schemaVersion } from './migrate.js';
import { describeFile, toStorageError, type DatabaseLabel } from './storage-error.js';

/** The busy timeout when the caller gives none: the default of `monitoring.busyTimeoutMs`. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

export interface SqliteFileOptions extends DatabaseLabel {
  /** How long a writer waits for another process's write lock before failing (ms); `monitoring.busyTimeoutMs`. */
  busyTimeoutMs?: number;
}

/**
 * One SQLite file: the better-sqlite3 handle (synchronous; the batched writers and the
 * exit-time flush need that), and a kysely instance over the same connection for typed queries.
 * Opening creates the directory, refuses a file that is not SQLite or whose schema is newer than
 * this program (changing nothing in it), switches to WAL (readers never block the writer, and
 * several processes may write), sets the busy timeout and applies pending migrations.
 */
export class SqliteFile<DB> {
  readonly handle: BetterSqlite3.Database;
  readonly db: Kysely<DB>;
  private closed = false;

  private constructor(
    readonly path: string,
    handle: BetterSqlite3.Database,
  ) {
    this.handle = handle;
    this.db = new Kysely<DB>({ dialect: new SqliteDialect({ database: handle }) });
  }

  static open<DB>(path: string, migrations: readonly Migration[], options: SqliteFileOptions = {}): SqliteFile<DB> {
    const dir = dirname(path);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw toStorageError(error, path, `create the directory ${dir}`, options);
    }
    const existing = statOrUndefined(path);
    if (existing && !existing.isFile()) {
      throw new StorageError(`${capitalize(describeFile(path, options))} exists but is not a file.`, {
        hint: `Remove what is in the way or point ${options.setting ?? 'the database setting'} elsewhere.`,
        details: { file: path },
      });
    }
    let handle: BetterSqlite3.Database | undefined;
    try {
      handle = new BetterSqlite3(path, { timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
      // Reads only, before any pragma that could write: a file that is not SQLite fails here
      // (SQLITE_NOTADB), and one from a newer program is refused, both left byte for byte as they were.
      refuseNewer(path, schemaVersion(handle), migrations, options);
      handle.pragma('journal_mode = WAL');
      // In WAL, NORMAL loses nothing on a process crash (only on power loss) and spares an fsync per commit.
      handle.pragma('synchronous = NORMAL');
      const file = new SqliteFile<DB>(path, handle);
      migrate(handle, file.db as Kysely<unknown>, migrations, (found) => refuseNewer(path, found, migrations, options));
      return file;
    } catch (error) {
      handle?.close();
      throw nativeBuildError(error) ?? toStorageError(error, path, 'open the database', options);
    }
  }

  /** The highest schema version recorded in the file (0 before the first migration). */
  schemaVersion(): number {
    return schemaVersion(this.handle).version;
  }

  /** Compile a kysely builder to SQL once and prepare it on the synchronous handle. */
  prepare(query: Compilable | CompiledQuery): BetterSqlite3.Statement {
    const compiled = 'compile' in query ? query.compile() : query;
    return this.handle.prepare(compiled.sql);
  }

  /** Run a kysely builder now, synchronously (for small writes that must not interleave). */
  runNow(query: Compilable | CompiledQuery): BetterSqlite3.RunResult {
    const compiled = 'compile' in query ? query.compile() : query;
    return this.handle.prepare(compiled.sql).run(...(compiled.parameters as unknown[]));
  }

  /** Rows of a kysely select, synchronously. */
  allNow<R>(query: Compilable<R>): R[] {
    const compiled = query.compile();
    return this.handle.prepare(compiled.sql).all(...(compiled.parameters as unknown[])) as R[];
  }

  /** Run `fn` inside BEGIN IMMEDIATE … COMMIT: takes the write lock up front, so two processes never deadlock upgrading a read lock. */
  writeTransaction<T>(fn: () => T): T {
    return this.handle.transaction(fn).immediate();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.handle.open) this.handle.close();
  }

  /** Close kysely's side too (it closes the handle when it ever used it), then the handle. */
  async destroy(): Promise<void> {
    await this.db.destroy();
    this.close();
  }

  get isOpen(): boolean {
    return !this.closed && this.handle.open;
  }
}

/** Throw when the file's schema is newer than the newest migration this program has. */
function refuseNewer(path: string, found: { version: number; name: string | undefined }, migrations: readonly Migration[], about: DatabaseLabel): void {
  const known = Math.max(0, ...migrations.map((m) => m.version));
  if (found.version <= known) return;
  throw new StorageError(
    `${capitalize(describeFile(path, about))} was written by a newer version of web4: its schema is at version ${found.version}` +
      `${found.name ? ` (${found.name})` : ''}, and this program knows versions up to ${known}. Nothing in it was changed.`,
    {
      hint:
        `Upgrade web4 to the release that wrote it (git pull && npm install, or install the newer package) and run again;` +
        ` or point ${about.setting ?? 'the setting for this file'} at another file to start a new one.`,
      details: { file: path, version: found.version, knownVersion: known },
    },
  );
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * better-sqlite3 loads its compiled addon when the first database opens. A project that installed
 * it without running its install script, on another Node.js (a different ABI) or another machine
 * has none that loads: say how to get one instead of the addon loader's list of tried paths.
 */
function nativeBuildError(error: unknown): StorageError | undefined {
  const e = error as { code?: string; message?: string };
  const message = e?.message ?? '';
  const missing = message.includes('Could not locate the bindings file');
  if (!missing && e?.code !== 'ERR_DLOPEN_FAILED' && !message.includes('NODE_MODULE_VERSION')) return undefined;
  const why = missing ? 'has no compiled addon (better_sqlite3.node)' : `has a compiled addon that does not load here (${message.split('\n')[0]})`;
  return new StorageError(`better-sqlite3 ${why}: run \`npm rebuild better-sqlite3\` in your project, with the Node.js that runs it (${process.version}).`, {
    hint: 'npm rebuild better-sqlite3 downloads a prebuilt addon for this Node.js, or compiles one (python3, make and a C++ compiler); offline, point npm_config_better_sqlite3_local_prebuilds at a folder holding the prebuilt tarball',
    cause: error,
  });
}
