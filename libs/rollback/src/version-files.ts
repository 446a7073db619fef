import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { StorageError } from '@web4/core';
import { sha256File } from '@web4/local-services';

/** relative path → sha256 of every file under `dir` (sorted), or only those `include` keeps. */
export async function folderChecksums(dir: string, include: (rel: string) => boolean = () => true): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const rel of listFiles(dir).filter(include)) out[rel] = await sha256File(join(dir, rel));
  return out;
}

export function listFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) files.push(relative(dir, full));
    }
  };
  walk(dir);
  return files.sort();
}

/** Files that differ from the recorded checksums (missing, changed); empty when all match. */
export async function checksumProblems(dir: string, expected: Record<string, string>): Promise<string[]> {
  const problems: string[] = [];
  for (const [rel, sha] of Object.entries(expected)) {
    let actual: string | undefined;
    try {
      if (statSync(join(dir, rel)).isFile()) actual = await sha256File(join(dir, rel));
    } catch {
      actual = undefined;
    }
    if (actual === undefined) problems.push(`${rel} is missing`);
    else if (actual !== sha) problems.push(`${rel} has changed (sha256 ${actual.slice(0, 12)}…, recorded ${sha.slice(0, 12)}…)`);
  }
  return problems;
}

/** The files of a version that define it: the PEFT adapter, the manifest, the GGUF LoRA (the merged model is derived). */
export const DEFINING_FILE = (rel: string): boolean => rel === 'manifest.json' || rel === 'adapter.gguf' || rel.startsWith('adapter/');

export function corruptVersionError(version: string, dir: string, problems: string[]): StorageError {
  return new StorageError(`Model version ${version} in ${dir} is damaged: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; …' : ''}.`, {
    hint: 'Restore it from a backup (`web4 model rollback --to backup_<stamp>`, `web4 model list` shows the backups) or roll back to another version.',
    details: { version, dir, problems },
  });
}
