import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InputError, StorageError, fileStamp, resolveStatePath, type Web4Config } from '@web4/core';

export interface TierFiles {
  graph: string;
  metadata: string;
}

export function tierFiles(config: Web4Config): TierFiles {
  return { graph: resolveStatePath(config, config.rag.graphDb), metadata: resolveStatePath(config, config.rag.metadataDb) };
}

/**
 * Copy the SQLite tiers (graph, metadata) with SQLite's online backup, which is consistent even
 * while the gateway writes access records. Returns the folder holding the copies.
 */
export async function backupTiers(config: Web4Config, into: string, now: Date): Promise<{ dir: string; files: string[] }> {
  const dir = join(into, `rag_${fileStamp(now)}`);
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const file of Object.values(tierFiles(config))) {
    if (!existsSync(file)) continue;
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const target = join(dir, basename(file));
      await db.backup(target);
      files.push(target);
    } finally {
      db.close();
    }
  }
  if (files.length === 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new InputError('There is nothing to back up: no retrieval databases exist yet.', { hint: 'Index first: `web4 index corpus`.' });
  }
  return { dir, files };
}

/**
 * Put a backup back: each file must pass `PRAGMA integrity_check` before it replaces the live
 * one; the replaced files are kept beside it as `<name>.before-restore`. Stop the gateway first
 * (the nightly loop and the gateway hold the files open).
 */
export function restoreTiers(config: Web4Config, from: string): string[] {
  if (!existsSync(from)) throw new InputError(`Backup folder ${from} does not exist.`, { hint: 'Name a folder written by `web4 rag backup` (backups/rag/rag_YYYYMMDD_HHMMSS).' });
  const restored: string[] = [];
  for (const live of Object.values(tierFiles(config))) {
    const copy = join(from, basename(live));
    if (!existsSync(copy)) continue;
    const db = new Database(copy, { readonly: true, fileMustExist: true });
    let ok: string;
    try {
      ok = String((db.prepare('PRAGMA integrity_check').get() as Record<string, unknown>).integrity_check);
    } catch (cause) {
      throw new StorageError(`${copy} is not a usable SQLite database: ${(cause as Error).message}`, { hint: 'Pick another backup.', cause });
    } finally {
      db.close();
    }
    if (ok !== 'ok') throw new StorageError(`${copy} fails its integrity check: ${ok}`, { hint: 'Pick another backup.' });
    if (existsSync(live)) renameSync(live, `${live}.before-restore`);
    for (const suffix of ['-wal', '-shm']) rmSync(live + suffix, { force: true });
    copyFileSync(copy, live);
    restored.push(live);
  }
  if (restored.length === 0) throw new InputError(`${from} holds no retrieval database (rag_graph.db, rag_metadata.db).`);
  return restored;
}
