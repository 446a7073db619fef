import { StorageError, describeSetting } from '@web4/core';
import { dirname } from 'node:path';

/** How errors name a database to a person: what it holds, and the setting that chooses its path. */
export interface DatabaseLabel {
  /** e.g. `metadata`: messages then say "the metadata database <file>". */
  label?: string;
  /** The configuration key of its path, e.g. `rag.metadataDb`. */
  setting?: string;
  /** What builds its contents again once it is moved aside, e.g. "`web4 index corpus` fills a new one". */
  recreate?: string;
}

/** "the metadata database /x/rag_metadata.db", or just the path. */
export function describeFile(file: string, about: DatabaseLabel = {}): string {
  return about.label ? `the ${about.label} database ${file}` : file;
}

/**
 * Turn a SQLite or file-system failure on a database file into a StorageError that says which
 * file, what is wrong with it and what to do. Anything else is returned unchanged.
 */
export function toStorageError(error: unknown, file: string, action: string, about: DatabaseLabel = {}): unknown {
  if (error instanceof StorageError) return error;
  const code = String((error as { code?: unknown })?.code ?? '');
  const message = (error as Error)?.message ?? String(error);
  const dir = dirname(file);
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    const named = describeFile(file, about);
    return new StorageError(`${named.charAt(0).toUpperCase()}${named.slice(1)} is not a SQLite database or is corrupt (${message}); could not ${action}.`, {
      hint:
        `Nothing was written to it. Move it aside (mv "${file}" "${file}.corrupt"), then run again to start a new one` +
        `${about.recreate ? ` (${about.recreate})` : ''}; sqlite3 "${file}.corrupt" .recover may save its rows.` +
        `${about.setting ? ` Its path is set by ${describeSetting(about.setting)}.` : ''}`,
      cause: error,
      details: { file, sqlite: code },
    });
  }
  if (
    code.startsWith('SQLITE_READONLY') ||
    code.startsWith('SQLITE_CANTOPEN') ||
    code === 'SQLITE_PERM' ||
    code === 'SQLITE_AUTH' ||
    code === 'EACCES' ||
    code === 'EPERM' ||
    code === 'EROFS'
  ) {
    return new StorageError(`Cannot ${action}: ${file} or its directory ${dir} is not writable (${message}).`, {
      hint: `Make ${dir} and the files in it writable by this user (chmod u+w), or choose another state root with --root / WEB4_STATE_ROOT (or paths.logsDir in web4.config.json).`,
      cause: error,
      details: { file, code },
    });
  }
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY')) {
    return new StorageError(`${file} stayed locked by another process; could not ${action}.`, {
      hint: 'Another writer held the database longer than monitoring.busyTimeoutMs; retry, or raise that setting.',
      cause: error,
      details: { file, code },
    });
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'SQLITE_IOERR' || code.startsWith('SQLITE_IOERR')) {
    return new StorageError(`Could not ${action} on ${file}: ${message}.`, {
      hint: `Check free space and the health of the disk holding ${dir}.`,
      cause: error,
      details: { file, code },
    });
  }
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    return new StorageError(`Cannot ${action}: a path component of ${dir} is a file, not a directory.`, {
      hint: `Remove or rename the file in the way, or choose another state root with --root / WEB4_STATE_ROOT.`,
      cause: error,
      details: { file, code },
    });
  }
  return error;
}
