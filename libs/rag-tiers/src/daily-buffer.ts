import { once } from 'node:events';
import { createWriteStream, existsSync, fsyncSync, mkdirSync, openSync, closeSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { StorageError, fileStamp } from '@web4/core';
import type { ChunkRecord } from './chroma-tier.js';
import { nodeId } from './graph-tier.js';
import type { RagStack } from './rag-stack.js';

/** One chunk waiting in the buffer, as the nightly loop reads it. */
export interface BufferChunk {
  pdcaId: string;
  chunkIndex: number;
  text: string;
  metadata: Record<string, string | number | boolean>;
}

/** What `verifyMove` found: everything must be true before the buffer may be cleared. */
export interface MoveCheck {
  bufferChunks: number;
  archivedChunks: number;
  historyChunks: number;
  /** Buffer chunks missing from the archive, or archived with other text. */
  notArchived: string[];
  /** Buffer chunks missing from pdca_historical, or stored there with other text. */
  notInHistory: string[];
  ok: boolean;
}

/** Documents read from Chroma per request while archiving: bounds memory on a large buffer. */
const ARCHIVE_DOCS_PER_READ = 25;

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
    const live = docs.filter((d) => d.chunkCount > 0);
    const chunks = await this.rag.chroma.chunksOf('daily_buffer', live.map((d) => d.docId));
    return chunks
      .map((c) => ({ pdcaId: String(c.metadata.doc_id), chunkIndex: Number(c.metadata.chunk_index), text: c.document, metadata: c.metadata }))
      .sort((a, b) => (a.pdcaId < b.pdcaId ? -1 : a.pdcaId > b.pdcaId ? 1 : a.chunkIndex - b.chunkIndex));
  }

  /**
   * After the gates pass: flag the PDCAs trained in `batchId` in all three tiers — the chunks'
   * metadata in Chroma, the metadata tier (trained, training_batch, training_date) and the graph
   * (item → batch). Idempotent: a resumed run marks again with the same values.
   */
  async markTrained(pdcaIds: readonly string[], batchId: string, trainingDate: string): Promise<number> {
    const chunks = await this.rag.chroma.chunksOf('daily_buffer', pdcaIds);
    await this.rag.chroma.upsert(
      'daily_buffer',
      chunks.map((c) => ({ ...c, metadata: { ...c.metadata, trained_in_adapter: true, training_batch: batchId, training_date: trainingDate } })),
    );
    const marked = await this.rag.metadata.markTrained('daily_buffer', [...pdcaIds], batchId, trainingDate);
    this.rag.graph.upsertNodes([{ id: nodeId('batch', batchId), kind: 'batch', label: batchId, collection: null }]);
    this.rag.graph.addEdges(pdcaIds.map((id) => ({ src: nodeId('pdca', id), dst: nodeId('batch', batchId), kind: 'trained_in' as const })));
    return marked;
  }

  /** Copy the PDCAs' chunks (vectors included, nothing re-embedded) and facts into pdca_historical. */
  async copyToHistory(pdcaIds: readonly string[]): Promise<number> {
    const chunks = await this.rag.chroma.chunksOf('daily_buffer', pdcaIds);
    // Only documents that are still in the buffer: a resumed copy after a partial clear must not
    // delete history that can no longer be copied again.
    const present = [...new Set(chunks.map((c) => String(c.metadata.doc_id)))];
    await this.rag.chroma.deleteDocuments('pdca_historical', present);
    await this.rag.chroma.upsert('pdca_historical', chunks);
    this.rag.lexical.copyDocuments('daily_buffer', 'pdca_historical', present);
    for (const id of present) {
      const doc = await this.rag.metadata.getDocument('daily_buffer', id);
      if (doc) await this.rag.metadata.upsertDocument({ ...doc, collection: 'pdca_historical' });
    }
    this.rag.graph.upsertNodes(
      present.map((id) => ({ id: nodeId('pdca', id), kind: 'pdca' as const, label: String(chunks.find((c) => c.metadata.doc_id === id)?.metadata.title ?? id), collection: 'pdca_historical' as const })),
    );
    return chunks.length;
  }

  /**
   * Write the PDCAs' chunks — text, metadata and vectors — to
   * `logs/daily_buffer_YYYYMMDD_HHMMSS.json` (the plan's archive). Streamed a few documents at a
   * time into a hidden temporary file, flushed to disk, then renamed: the archive either exists
   * complete or not at all. Returns the file and the number of chunks in it.
   */
  async archive(pdcaIds: readonly string[], logsDir: string, now: Date, extra: Record<string, unknown> = {}): Promise<{ file: string; chunks: number }> {
    mkdirSync(logsDir, { recursive: true });
    const file = join(logsDir, `daily_buffer_${fileStamp(now)}.json`);
    const tmp = join(logsDir, `.daily_buffer_${fileStamp(now)}.json.partial-${process.pid}`);
    const out = createWriteStream(tmp, { encoding: 'utf8' });
    const write = async (text: string) => {
      if (!out.write(text)) await once(out, 'drain');
    };
    let count = 0;
    try {
      const failed = new Promise<never>((_, reject) => out.once('error', reject));
      const body = (async () => {
        await write(`{"archivedAt":${JSON.stringify(now.toISOString())},${Object.entries(extra).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)},`).join('')}"pdcaIds":${JSON.stringify(pdcaIds)},"items":[\n`);
        for (let i = 0; i < pdcaIds.length; i += ARCHIVE_DOCS_PER_READ) {
          const chunks = await this.rag.chroma.chunksOf('daily_buffer', pdcaIds.slice(i, i + ARCHIVE_DOCS_PER_READ));
          chunks.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
          for (const c of chunks) {
            await write(`${count > 0 ? ',\n' : ''}${JSON.stringify({ id: c.id, document: c.document, metadata: c.metadata, embedding: c.embedding })}`);
            count++;
          }
        }
        await write(`\n],"chunks":${count}}\n`);
        out.end();
        await once(out, 'finish');
      })();
      await Promise.race([body, failed]);
      const fd = openSync(tmp, 'r+');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file);
    } catch (cause) {
      out.destroy();
      rmSync(tmp, { force: true });
      const code = (cause as NodeJS.ErrnoException).code;
      throw new StorageError(`Could not write the buffer archive ${file}: ${(cause as Error).message}`, {
        hint: code === 'ENOSPC' ? `The disk of ${logsDir} is full: free space, then \`web4 evening resume\`.` : `Check that ${logsDir} is writable, then \`web4 evening resume\`.`,
        cause,
        details: { file },
      });
    }
    return { file, chunks: count };
  }

  /** Read an archive back: its items by chunk id. */
  static readArchive(file: string): Map<string, Pick<ChunkRecord, 'id' | 'document' | 'metadata' | 'embedding'>> {
    let parsed: { items?: Array<Pick<ChunkRecord, 'id' | 'document' | 'metadata' | 'embedding'>> };
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8')) as typeof parsed;
    } catch (cause) {
      throw new StorageError(`The buffer archive ${file} cannot be read: ${(cause as Error).message}`, { cause, hint: 'Archive again (`web4 evening resume` repeats the step).' });
    }
    return new Map((parsed.items ?? []).map((i) => [i.id, i]));
  }

  /**
   * Before anything is deleted: every buffer chunk of these PDCAs must be in the archive and in
   * pdca_historical with the same text and vector length.
   */
  async verifyMove(pdcaIds: readonly string[], archiveFile: string): Promise<MoveCheck> {
    const inBuffer = await this.rag.chroma.chunksOf('daily_buffer', pdcaIds);
    const archived = existsSync(archiveFile) ? DailyBuffer.readArchive(archiveFile) : new Map();
    const inHistory = new Map((await this.rag.chroma.chunksOf('pdca_historical', pdcaIds)).map((c) => [c.id, c]));
    const notArchived = inBuffer.filter((c) => archived.get(c.id)?.document !== c.document).map((c) => c.id);
    const notInHistory = inBuffer
      .filter((c) => {
        const h = inHistory.get(c.id);
        return !h || h.document !== c.document || h.embedding.length !== c.embedding.length;
      })
      .map((c) => c.id);
    // The lexical index must have moved with the chunks: history searched by FTS5 too.
    for (const id of pdcaIds) {
      const buffered = this.rag.lexical.chunkCount('daily_buffer', id);
      if (buffered > 0 && this.rag.lexical.chunkCount('pdca_historical', id) !== buffered) notInHistory.push(`${id} (lexical index)`);
    }
    return {
      bufferChunks: inBuffer.length,
      archivedChunks: archived.size,
      historyChunks: inHistory.size,
      notArchived,
      notInHistory,
      ok: existsSync(archiveFile) && notArchived.length === 0 && notInHistory.length === 0,
    };
  }

  /** Delete PDCAs from the buffer, after checking they are archived and in history. */
  async clear(pdcaIds: readonly string[], archiveFile: string): Promise<number> {
    if (!existsSync(archiveFile)) {
      throw new StorageError(`Refusing to clear the buffer: the archive ${archiveFile} does not exist.`, { hint: 'Archive first (DailyBuffer.archive).' });
    }
    const check = await this.verifyMove(pdcaIds, archiveFile);
    if (check.notArchived.length > 0) {
      throw new StorageError(`Refusing to clear the buffer: ${check.notArchived.length} chunks are not in the archive ${archiveFile} (${check.notArchived.slice(0, 3).join(', ')}…).`, {
        hint: 'Archive again (DailyBuffer.archive).',
      });
    }
    if (check.notInHistory.length > 0) {
      throw new StorageError(`Refusing to clear the buffer: ${check.notInHistory.length} chunks are not in pdca_historical (${check.notInHistory.slice(0, 3).join(', ')}…).`, {
        hint: 'Copy them to history first (DailyBuffer.copyToHistory).',
      });
    }
    await this.rag.chroma.deleteDocuments('daily_buffer', pdcaIds);
    this.rag.lexical.deleteDocuments('daily_buffer', pdcaIds);
    // The row stays with no chunks: a later `index daily` of the same, unchanged file sees its
    // hash and skips it, so a learned PDCA is not put back into the buffer and trained twice.
    for (const id of pdcaIds) {
      const doc = await this.rag.metadata.getDocument('daily_buffer', id);
      if (doc) await this.rag.metadata.upsertDocument({ ...doc, chunkCount: 0 });
    }
    return check.bufferChunks;
  }
}
