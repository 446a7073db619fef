import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { StorageError } from '@web4/core';

/** sha256 of a file, streamed (model files are ~100 MB). */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** True when the file exists and has this sha256. */
export async function hasChecksum(file: string, sha256: string): Promise<boolean> {
  return existsSync(file) && (await sha256File(file)) === sha256;
}

/** Throws a StorageError naming the file when its content is not the pinned one. */
export async function verifyChecksum(file: string, sha256: string, what: string): Promise<void> {
  const actual = await sha256File(file);
  if (actual !== sha256) {
    throw new StorageError(`${what} at ${file} has sha256 ${actual}, expected ${sha256}.`, {
      hint: 'The download or the file on disk is corrupt or not the pinned version; delete it and run `node tools/bootstrap.mjs` again.',
      details: { file, expected: sha256, actual },
    });
  }
}
