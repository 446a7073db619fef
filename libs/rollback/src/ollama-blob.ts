import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { ServiceError } from '@web4/core';
import { sha256File } from '@web4/local-services';

/**
 * Put a file into Ollama's blob store (`POST /api/blobs/sha256:…`), skipping the upload when
 * Ollama already has it. Streams the file: a 15 GB merged model never sits in memory.
 * Returns the digest in the form `/api/create` expects (`sha256:<hex>`).
 */
export async function uploadBlob(ollamaUrl: string, file: string, signal?: AbortSignal): Promise<{ digest: string; bytes: number; uploaded: boolean }> {
  const hex = await sha256File(file);
  const digest = `sha256:${hex}`;
  const url = `${ollamaUrl.replace(/\/$/, '')}/api/blobs/${digest}`;
  const bytes = statSync(file).size;
  const head = await fetch(url, { method: 'HEAD', ...(signal ? { signal } : {}) }).catch((error: unknown) => {
    throw new ServiceError(`Ollama at ${ollamaUrl} does not answer: ${(error as Error).message}`, { hint: 'start it with `web4 services up`' });
  });
  if (head.ok) return { digest, bytes, uploaded: false };
  const response = await fetch(url, {
    method: 'POST',
    body: Readable.toWeb(createReadStream(file)) as ReadableStream,
    headers: { 'content-length': String(bytes) },
    duplex: 'half',
    ...(signal ? { signal } : {}),
  } as RequestInit);
  if (!response.ok) {
    throw new ServiceError(`Ollama refused the upload of ${file}: HTTP ${response.status} ${await response.text()}`);
  }
  return { digest, bytes, uploaded: true };
}
