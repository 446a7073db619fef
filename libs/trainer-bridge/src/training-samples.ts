import { InputError } from '@web4/core';
import type { BufferItem, TrainingSample } from './buffer-item.js';

export interface SampleOptions {
  /** Most characters of PDCA text in one sample; a longer PDCA becomes several parts. */
  capChars: number;
}

/**
 * Whole PDCAs from their buffer chunks: chunks are grouped by `pdcaId`, ordered by
 * `chunkIndex`, and joined with the overlap between neighbours removed (the indexer's chunks
 * overlap by design). A PDCA longer than `capChars` is split at paragraph boundaries into
 * parts, each its own sample, so nothing is silently dropped.
 */
export function buildTrainingSamples(items: readonly BufferItem[], options: SampleOptions): TrainingSample[] {
  if (!Number.isInteger(options.capChars) || options.capChars < 200) {
    throw new InputError(`sample cap must be an integer of at least 200 characters, got ${options.capChars}`, {
      hint: 'set trainer.sampleCapChars in web4.config.json',
    });
  }
  const byPdca = new Map<string, BufferItem[]>();
  for (const item of items) {
    if (!item.pdcaId || !Number.isInteger(item.chunkIndex) || item.chunkIndex < 0 || typeof item.text !== 'string') {
      throw new InputError(`buffer item is malformed: ${JSON.stringify({ pdcaId: item.pdcaId, chunkIndex: item.chunkIndex })}`, {
        hint: 'each item needs pdcaId, a chunkIndex >= 0 and text; re-index the day with `web4 index daily`',
      });
    }
    const list = byPdca.get(item.pdcaId) ?? [];
    list.push(item);
    byPdca.set(item.pdcaId, list);
  }
  const samples: TrainingSample[] = [];
  for (const [pdcaId, chunks] of byPdca) {
    chunks.sort((a, b) => a.chunkIndex - b.chunkIndex);
    const seen = new Set<number>();
    const unique = chunks.filter((c) => (seen.has(c.chunkIndex) ? false : (seen.add(c.chunkIndex), true)));
    const text = joinChunks(unique.map((c) => c.text)).trim();
    if (!text) continue;
    const metadata = { ...(unique[0]!.metadata ?? {}) };
    const title = titleOf(pdcaId, metadata, text);
    const parts = splitText(text, options.capChars);
    parts.forEach((part, i) => {
      const partLabel = parts.length > 1 ? ` (part ${i + 1} of ${parts.length})` : '';
      samples.push({
        instruction: `Write the web4 PDCA "${title}"${dateLabel(metadata)}${partLabel}.`,
        input: '',
        output: part,
        metadata: { ...metadata, pdca_id: pdcaId, chunks: unique.length, part: i + 1, parts: parts.length },
      });
    });
  }
  return samples;
}

/** Concatenate chunks, dropping the longest suffix of the text so far that the next chunk repeats. */
export function joinChunks(chunks: readonly string[]): string {
  let out = '';
  for (const chunk of chunks) {
    const max = Math.min(out.length, chunk.length, 4000);
    let overlap = 0;
    for (let n = max; n >= 20; n--) {
      if (out.endsWith(chunk.slice(0, n))) {
        overlap = n;
        break;
      }
    }
    out += chunk.slice(overlap);
  }
  return out;
}

/** Split into pieces of at most `cap` characters, preferring paragraph, then line, then word breaks. */
export function splitText(text: string, cap: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > cap) {
    const window = rest.slice(0, cap);
    let cut = window.lastIndexOf('\n\n');
    if (cut < cap / 2) cut = window.lastIndexOf('\n');
    if (cut < cap / 2) cut = window.lastIndexOf(' ');
    if (cut < cap / 2) cut = cap;
    parts.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trimStart();
  }
  if (rest.trim()) parts.push(rest.trim());
  return parts;
}

function titleOf(pdcaId: string, metadata: Record<string, unknown>, text: string): string {
  for (const key of ['title', 'objective']) {
    const v = metadata[key];
    if (typeof v === 'string' && v.trim()) return v.trim();
  }
  const heading = /^#+\s+(.+)$/m.exec(text);
  return heading ? heading[1]!.trim() : pdcaId;
}

function dateLabel(metadata: Record<string, unknown>): string {
  const v = metadata.date;
  return typeof v === 'string' && v.trim() ? ` (${v.trim()})` : '';
}
