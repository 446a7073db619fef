import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DailyBuffer, trainingConsistency } from '@web4/rag-tiers';
import type { TinyNight } from './tiny-night.js';

export interface NightState {
  /** PDCAs waiting in the buffer, untrained, with all their chunks. */
  waiting: string[];
  /** PDCAs trained, present in pdca_historical and in an archive, gone from the buffer. */
  learned: string[];
  /** PDCAs in neither state: lost or half-moved. Must be empty whenever no night is open. */
  lost: string[];
  /** Chunks in pdca_historical beyond what the metadata records (a PDCA stored twice). */
  historyDuplicates: number;
  archives: string[];
  tags: Partial<Record<'latest' | 'previous' | 'candidate', string>>;
  /** Serving tags whose Ollama digest is not their version's. */
  ollamaMismatches: string[];
  consistent: boolean;
}

/**
 * What a person checks after any night, crash or fault: every PDCA either waits untrained in
 * the buffer or is learned (trained, in history, archived, out of the buffer); history holds no
 * PDCA twice; Ollama's tags are the registry's versions; the tiers agree on "trained".
 */
export async function nightState(t: TinyNight, pdcaIds: readonly string[]): Promise<NightState> {
  const rag = t.rag();
  const archives = existsSync(t.paths().logsDir) ? readdirSync(t.paths().logsDir).filter((f) => /^daily_buffer_\d{8}_\d{6}\.json$/.test(f)) : [];
  const archived = new Set<string>();
  for (const a of archives) for (const item of DailyBuffer.readArchive(join(t.paths().logsDir, a)).values()) archived.add(String(item.metadata.doc_id));
  const buffered = await rag.chroma.metadataOf('daily_buffer', pdcaIds);
  const history = await rag.chroma.metadataOf('pdca_historical', pdcaIds);
  const waiting: string[] = [];
  const learned: string[] = [];
  const lost: string[] = [];
  let historyDuplicates = 0;
  for (const id of pdcaIds) {
    const b = await rag.metadata.getDocument('daily_buffer', id);
    const h = await rag.metadata.getDocument('pdca_historical', id);
    const inBuffer = buffered.filter((c) => c.metadata.doc_id === id);
    const inHistory = history.filter((c) => c.metadata.doc_id === id);
    if (h) historyDuplicates += Math.max(0, inHistory.length - h.chunkCount);
    if (b && !b.trained && b.chunkCount > 0 && inBuffer.length === b.chunkCount && inBuffer.every((c) => c.metadata.trained_in_adapter === false)) waiting.push(id);
    else if (b?.trained && h?.trained && inBuffer.length === 0 && inHistory.length === h.chunkCount && inHistory.length > 0 && archived.has(id)) learned.push(id);
    else lost.push(id);
  }
  const tags = t.store().models.tags();
  const digests = await t.ollama.digests();
  const names = { latest: t.config().models.productionModel, previous: t.config().models.previousModel, candidate: t.config().models.candidateModel };
  const ollamaMismatches: string[] = [];
  for (const [tag, version] of Object.entries(tags) as Array<[keyof typeof names, string]>) {
    const source = version === 'base' ? t.config().models.baseModel : t.store().models.version(version)?.ollamaName;
    if (!source || digests.get(names[tag]) !== digests.get(source)) ollamaMismatches.push(`${names[tag]} should be ${version}`);
  }
  const consistency = await trainingConsistency(rag);
  return { waiting, learned, lost, historyDuplicates, archives, tags, ollamaMismatches, consistent: consistency.consistent };
}

/** PDCA ids of the journal files of a day, as the indexer names them. */
export async function dayIds(t: TinyNight, day: string): Promise<string[]> {
  const docs = await t.rag().metadata.listDocuments('daily_buffer', { dateFrom: day, dateTo: day });
  return docs.map((d) => d.docId).sort();
}
