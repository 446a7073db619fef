import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '@web4/core';
import { writeFileAtomic } from '@web4/local-services';
import type { BufferChunk, DocumentRecord, RagStack } from '@web4/rag-tiers';
import { buildTrainingSamples, type BufferItem, type TrainingSample } from '@web4/trainer-bridge';

export function seedOf(...parts: Array<string | number>): number {
  let h = 2166136261;
  for (const ch of parts.join('|')) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h;
}

export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const rnd = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export function toBufferItems(chunks: readonly BufferChunk[]): BufferItem[] {
  return chunks.map((c) => ({ pdcaId: c.pdcaId, chunkIndex: c.chunkIndex, text: c.text, metadata: c.metadata }));
}

/** Whole-PDCA samples of documents stored in a collection (their chunks joined back). */
export async function samplesOfStored(rag: RagStack, collection: 'pdca_historical' | 'daily_buffer', pdcaIds: readonly string[], capChars: number): Promise<TrainingSample[]> {
  if (pdcaIds.length === 0) return [];
  const chunks = await rag.chroma.chunksOf(collection, pdcaIds);
  const items = chunks.map((c) => ({ pdcaId: String(c.metadata.doc_id), chunkIndex: Number(c.metadata.chunk_index), text: c.document, metadata: c.metadata }));
  const samples = buildTrainingSamples(items, { capChars });
  // buildTrainingSamples keeps first-seen order; the caller's order is the chosen order.
  const rank = new Map(pdcaIds.map((id, i) => [id, i]));
  return samples.sort((a, b) => (rank.get(String(a.metadata.pdca_id)) ?? 0) - (rank.get(String(b.metadata.pdca_id)) ?? 0));
}

/**
 * Older PDCAs a night may rehearse or be measured on: in pdca_historical, with text, dated
 * before the night's day, not among the night's own items.
 */
export async function olderPdcas(rag: RagStack, beforeDay: string, exclude: ReadonlySet<string>): Promise<DocumentRecord[]> {
  const docs = await rag.metadata.listDocuments('pdca_historical', { dateTo: beforeDay }, Number.MAX_SAFE_INTEGER);
  return docs.filter((d) => d.chunkCount > 0 && d.date !== null && d.date < beforeDay && !exclude.has(d.docId)).sort((a, b) => (a.docId < b.docId ? -1 : 1));
}

export interface RetentionSet {
  createdAt: string;
  updatedAt: string;
  seed: number;
  size: number;
  pdcaIds: string[];
  /** The documents' text as it was when chosen: the set does not change when a PDCA is edited later. */
  samples: TrainingSample[];
}

export function retentionSetFile(logsDir: string): string {
  return join(logsDir, 'retention_set.json');
}

export function readRetentionSet(logsDir: string): RetentionSet | undefined {
  const file = retentionSetFile(logsDir);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as RetentionSet;
}

/**
 * The fixed retention set: older PDCAs chosen once with a seed and frozen in
 * `logs/retention_set.json`, so every night measures forgetting on the same documents. Until it
 * holds `size` PDCAs (a young journal) it is topped up from history, members never change.
 * Returns the set (possibly empty) and whether it grew now. `write: false` changes nothing (dry runs).
 */
export async function retentionSet(
  rag: RagStack,
  o: { logsDir: string; size: number; seed: number; beforeDay: string; exclude: ReadonlySet<string>; capChars: number; now: Date; write?: boolean },
): Promise<{ set: RetentionSet; added: string[] }> {
  const existing = readRetentionSet(o.logsDir);
  const set: RetentionSet = existing ?? { createdAt: o.now.toISOString(), updatedAt: o.now.toISOString(), seed: o.seed, size: o.size, pdcaIds: [], samples: [] };
  if (set.pdcaIds.length >= o.size) return { set, added: [] };
  const members = new Set(set.pdcaIds);
  const pool = (await olderPdcas(rag, o.beforeDay, new Set([...o.exclude, ...members]))).map((d) => d.docId);
  const added = shuffled(pool, seedOf(o.seed, 'retention')).slice(0, o.size - set.pdcaIds.length);
  if (added.length === 0) return { set, added };
  const samples = await samplesOfStored(rag, 'pdca_historical', added, o.capChars);
  const next: RetentionSet = { ...set, size: o.size, updatedAt: o.now.toISOString(), pdcaIds: [...set.pdcaIds, ...added], samples: [...set.samples, ...samples] };
  if (o.write !== false) writeFileAtomic(retentionSetFile(o.logsDir), JSON.stringify(next, null, 1) + '\n');
  return { set: next, added };
}

/**
 * Replay against forgetting: older PDCAs (not the retention set, which must stay unseen by
 * design) mixed into the night's samples so that they make `sharePct` % of all samples.
 */
export async function replaySamples(
  rag: RagStack,
  o: { nightSamples: number; sharePct: number; seed: number; runStamp: string; beforeDay: string; exclude: ReadonlySet<string>; capChars: number },
): Promise<{ samples: TrainingSample[]; pdcaIds: string[] }> {
  if (o.sharePct <= 0 || o.nightSamples === 0) return { samples: [], pdcaIds: [] };
  const want = Math.max(1, Math.round((o.nightSamples * o.sharePct) / (100 - o.sharePct)));
  const pool = (await olderPdcas(rag, o.beforeDay, o.exclude)).map((d) => d.docId);
  const chosen = shuffled(pool, seedOf(o.seed, o.runStamp)).slice(0, want);
  const samples = (await samplesOfStored(rag, 'pdca_historical', chosen, o.capChars)).slice(0, want).map((s): TrainingSample => ({ ...s, metadata: { ...s.metadata, replay: true } as Record<string, unknown> }));
  return { samples, pdcaIds: [...new Set(samples.map((s) => String(s.metadata.pdca_id)))] };
}
