import { readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { ProblemKind } from './pdca-discovery.js';

export type ReadOutcome =
  | { ok: true; text: string; bytes: number; hash: string }
  | { ok: false; kind: ProblemKind; reason: string };

/**
 * Read a document as UTF-8 text, refusing what is not one: empty, oversized, binary, invalid
 * UTF-8 or unreadable files each get a reason that says what to fix.
 */
export function readTextDocument(path: string, maxBytes: number): ReadOutcome {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (cause) {
    return { ok: false, kind: 'unreadable', reason: `cannot stat: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}` };
  }
  if (size === 0) return { ok: false, kind: 'empty', reason: 'empty file (0 bytes); write the PDCA or delete the file' };
  if (size > maxBytes) {
    return {
      ok: false,
      kind: 'too_large',
      reason: `${(size / 1e6).toFixed(1)} MB is over the ${(maxBytes / 1e6).toFixed(1)} MB limit (rag.journal.maxFileBytes); split the file or raise the limit`,
    };
  }
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    return { ok: false, kind: 'unreadable', reason: `cannot read (${code ?? (cause as Error).message}); fix the file's permissions (chmod u+r)` };
  }
  const nul = buf.subarray(0, 8192).indexOf(0);
  if (nul !== -1) return { ok: false, kind: 'binary', reason: `binary content (NUL byte at offset ${nul}); not a text PDCA` };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    const at = firstInvalidUtf8(buf);
    return {
      ok: false,
      kind: 'invalid_utf8',
      reason: `not valid UTF-8 (first bad byte at offset ${at}); convert it, e.g. \`iconv -f latin1 -t utf-8\``,
    };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim().length === 0) return { ok: false, kind: 'empty', reason: 'only whitespace; write the PDCA or delete the file' };
  return { ok: true, text, bytes: size, hash: createHash('sha256').update(buf).digest('hex') };
}

function firstInvalidUtf8(buf: Buffer): number {
  let lo = 0;
  let hi = buf.length;
  // Binary search on the longest valid prefix (a cut inside a character is tolerated by `stream`).
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return lo;
}
