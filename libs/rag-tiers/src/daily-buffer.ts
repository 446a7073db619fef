import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StorageError, fileStamp } from '@web4/core';
import { nodeId } from './graph-tier.js';
import type { RagStack } from './rag-stack.js';

/** One chunk waiting in the buffer, as the nightly loop reads it. */
export interface BufferChunk {
  pdcaId: string;
  chunkIndex: number;
  text: string;
  metadata: Record<string, string | number | boolean>;
}

/**
 * The daily buffer's life cycle for the nightly loop: read what is not trained yet, mark it
 * trained in a batch, copy it to history, archive it to JSON, and only then clear it. `clear`
 * refuses to delete anything that is not both archived and present in `pdca_historical`.
 */
export class DailyBuffer {
  constructor(private readonly rag: RagStack) {}

  /** Chunks not yet trained into the adapter, in document and chunk order. */
  async untrained(): Promise<BufferChunk[]> {
    const docs = await this.rag.metadata.listDocuments('daily_buffer', { trained: false }, 100_000);
    const chunks = await this.rag.chroma.chunksOf('daily_buffer', docs.map((d) => d.docId));
    return chunks
      .map((c) => ({ pdcaId: String(c.metadata.doc_id), chunkIndex: Number(c.metadata.chunk_index), text: c.document, metadata: c.metadata }))
      .sort((a, b) => (a.pdcaId < b.pdcaId ? -1 : a.pdcaId > b.pdcaId ? 1 : a.chunkIndex - b.chunkIndex));
  }

  /** After the canaries pass: flag the PDCAs trained in `batchId` (Chroma, metadata, graph). */
  async markTrained(pdcaIds: readonly string[], batchId: string): Promise<number> {
    const chunks = await this.rag.chroma.chunksOf('daily_buffer', pdcaIds);
    await this.rag.chroma.upsert(
      'daily_buffer',
      chunks.map((c) => ({ ...c, metadata: { ...c.metadata, trained_in_adapter: true, training_batch: batchId } })),
    );
    const marked = await this.rag.metadata.markTrained('daily_buffer', [...pdcaIds], batchId);
    this.rag.graph.upsertNodes([{ id: nodeId('batch', batchId), kind: 'batch', label: batchId, collection: null }]);
    this.rag.graph.addEdges(pdcaIds.map((id) => ({ src: nodeId('pdca', id), dst: nodeId('batch', batchId), kind: 'trained_in' as const })));
    return marked;
  }

  /** Copy the PDCAs' chunks (vectors included, nothing re-embedded) and facts into pdca_historical. */
  async copyToHistory(pdcaIds: readonly string[]): Promise<number> {
    const chunks = await this.rag.chroma.chunksOf('daily_buffer', pdcaIds);
    await this.rag.chroma.deleteDocuments('pdca_historical', pdcaIds);
    await this.rag.chroma.upsert('pdca_historical', chunks);
    for (const id of pdcaIds) {
      const doc = await this.rag.metadata.getDocument('daily_buffer', id);
      if (doc) await this.rag.metadata.upsertDocument({ ...doc, collection: 'pdca_historical' });
    }
    this.rag.graph.upsertNodes(
      pdcaIds.map((id) => ({ id: nodeId('pdca', id), kind: 'pdca' as const, label: String(chunks.find((c) => c.metadata.doc_id === id)?.metadata.title ?? id), collection: 'pdca_historical' as const })),
    );
    return chunks.length;
  }

  /** Write the PDCAs' chunks to `logs/daily_buffer_YYYYMMDD_HHMMSS.json` (the plan's archive). */
  async archive(pdcaIds: readonly string[], logsDir: string, now: Date): Promise<string> {
    const chunks = await this.rag.chroma.chunksOf('daily_buffer', pdcaIds);
    mkdirSync(logsDir, { recursive: true });
    const file = join(logsDir, `daily_buffer_${fileStamp(now)}.json`);
    const items = chunks.map(({ id, document, metadata }) => ({ id, document, metadata }));
    writeFileSync(file, JSON.stringify({ archivedAt: now.toISOString(), pdcaIds, items }, null, 2));
    return file;
  }

  /** Delete PDCAs from the buffer, after checking they are archived and in history. */
  async clear(pdcaIds: readonly string[], archiveFile: string): Promise<number> {
    if (!existsSync(archiveFile)) {
      throw new StorageError(`Refusing to clear the buffer: the archive ${archiveFile} does not exist.`, { hint: 'Archive first (DailyBuffer.archive).' });
    }
    const inBuffer = await this.rag.chroma.chunksOf('daily_buffer', pdcaIds);
    const inHistory = await this.rag.chroma.chunksOf('pdca_historical', pdcaIds);
    const historyIds = new Set(inHistory.map((c) => c.id));
    const missing = inBuffer.filter((c) => !historyIds.has(c.id)).map((c) => c.id);
    if (missing.length > 0) {
      throw new StorageError(`Refusing to clear the buffer: ${missing.length} chunks are not in pdca_historical (${missing.slice(0, 3).join(', ')}…).`, {
        hint: 'Copy them to history first (DailyBuffer.copyToHistory).',
      });
    }
    await this.rag.chroma.deleteDocuments('daily_buffer', pdcaIds);
    // The row stays with no chunks: a later `index daily` of the same, unchanged file sees its
    // hash and skips it, so a learned PDCA is not put back into the buffer and trained twice.
    for (const id of pdcaIds) {
      const doc = await this.rag.metadata.getDocument('daily_buffer', id);
      if (doc) await this.rag.metadata.upsertDocument({ ...doc, chunkCount: 0 });
    }
    return inBuffer.length;
  }
}
