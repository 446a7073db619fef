import { isWeb4Error } from '@web4/core';
import type { ChunkRecord, CollectionName, EdgeKind, GraphEdge, GraphNode, RagStack, TokenCounter } from '@web4/rag-tiers';
import { CHUNKER_VERSION, type ChunkTokenBudget, type TextChunk } from './chunker.js';
import { addOutcome, emptyReport, type FailureKind, type FileOutcome, type IndexingReport } from './indexing-report.js';
import { readTextDocument } from './pdca-reader.js';

/** A document ready to store: its chunks and the facts that go with every chunk. */
export interface PreparedDocument {
  docId: string;
  path: string;
  title: string;
  date: string | null;
  hash: string;
  bytes: number;
  quality: number;
  trained: boolean;
  chunks: TextChunk[];
  /** Metadata on every chunk (pdca_id, date, topics …); chunk index/start/hash are added here. */
  metadata: Record<string, string | number | boolean>;
  /** Section of a chunk, when the document has sections. */
  sectionOf?: (chunk: TextChunk) => string;
  graph?: { node: GraphNode; edges: GraphEdge[]; kinds: EdgeKind[] };
}

/**
 * Something to index: where it is, its id, and how to turn its text into a PreparedDocument
 * (with the model's token counter, when it has one, so chunks fit the model's window).
 */
export interface DocumentSource {
  path: string;
  docId: string;
  prepare(read: { text: string; hash: string; bytes: number }, tokens?: TokenCounter): PreparedDocument;
}

/** How this run makes chunks and vectors; a document indexed another way is indexed again. */
function indexSignature(rag: RagStack, tokens: TokenCounter | undefined): string {
  const { size, overlap } = rag.config.rag.chunk;
  return `${rag.embedder.modelKey}|chunk ${size}/${overlap}|window ${tokens?.max ?? 'none'}|chunker ${CHUNKER_VERSION}`;
}

/** What the model reads for a chunk: the document's title, then the chunk. */
export function embeddedText(title: string, chunk: string): string {
  return `${title}\n${chunk}`;
}

/** The budget for one document's chunks: the title goes in front of each chunk for the model. */
export function titledBudget(title: string, tokens: TokenCounter | undefined): ChunkTokenBudget | undefined {
  return tokens && { max: tokens.max, count: (chunk) => tokens.count(embeddedText(title, chunk)) };
}

export interface IndexOptions {
  maxBytes: number;
  /** Files embedded and written together: large enough to batch, small enough that a fault loses little. */
  groupSize?: number;
  onProgress?: (done: number, total: number, path: string) => void;
  /** Re-index even when the content hash is unchanged (after changing the chunking or the model). */
  force?: boolean;
  /** Outcomes found before indexing (discovery problems) to include in the report. */
  preOutcomes?: FileOutcome[];
  now?: () => Date;
}

/**
 * The incremental indexing pipeline shared by the daily buffer and the corpus: read, skip
 * unchanged (same content hash), chunk, embed in batches, replace the document's chunks in
 * Chroma, then record it in the metadata and graph tiers. The metadata row is written last, so
 * a file whose chunks did not reach Chroma is retried by the next run; chunk ids are
 * `<doc id>#<n>` and old chunks are deleted first, so nothing is ever stored twice.
 */
export async function indexDocuments(
  rag: RagStack,
  collection: CollectionName,
  sources: readonly DocumentSource[],
  options: IndexOptions,
): Promise<IndexingReport> {
  const started = performance.now();
  const report = emptyReport(collection);
  for (const o of options.preOutcomes ?? []) addOutcome(report, o);
  report.found = sources.length + (options.preOutcomes?.filter((o) => o.status === 'failed').length ?? 0);
  const embeddedBefore = rag.embedder.embedded;
  const reusedBefore = rag.embedder.reused;
  const now = options.now ?? (() => new Date());
  const known = await rag.metadata.documentsOf(collection);
  const lexicalChunks = rag.lexical.chunkCounts(collection);
  const groupSize = options.groupSize ?? 64;
  const tokens = await rag.embedder.tokenCounter();
  const signature = indexSignature(rag, tokens);
  let done = 0;

  for (let g = 0; g < sources.length; g += groupSize) {
    const group = sources.slice(g, g + groupSize);
    const prepared: PreparedDocument[] = [];
    for (const src of group) {
      const read = readTextDocument(src.path, options.maxBytes);
      if (!read.ok) {
        addOutcome(report, { path: src.path, docId: src.docId, status: 'failed', kind: read.kind, reason: read.reason });
        continue;
      }
      const previous = known.get(src.docId);
      // A trained PDCA cleared from the buffer keeps its row with no chunks: it must not come back.
      const retired = previous?.chunkCount === 0 && previous.trained;
      if (previous && previous.contentHash === read.hash && !options.force) {
        // Indexed before the lexical tier existed: written again (its vectors come from the cache).
        const lexicalMissing = previous.chunkCount > 0 && !lexicalChunks.has(src.docId);
        if ((previous.indexSignature === signature && !lexicalMissing) || retired) {
          addOutcome(report, {
            path: src.path,
            docId: src.docId,
            status: 'unchanged',
            chunks: previous.chunkCount,
            ...(retired ? { reason: `already trained in ${previous.trainingBatch ?? 'an earlier batch'}` } : {}),
          });
          continue;
        }
        report.settingsChanged++;
      }
      try {
        prepared.push(src.prepare(read, tokens));
      } catch (cause) {
        addOutcome(report, { path: src.path, docId: src.docId, status: 'failed', kind: 'invalid_utf8', reason: `cannot parse: ${(cause as Error).message}` });
      }
    }
    if (prepared.length > 0) await storeGroup(rag, collection, prepared, await embedGroup(rag, prepared), known, report, now, signature);
    done += group.length;
    options.onProgress?.(done, sources.length, group[group.length - 1]!.path);
  }
  report.embedded = rag.embedder.embedded - embeddedBefore;
  report.reusedEmbeddings = rag.embedder.reused - reusedBefore;
  report.durationMs = performance.now() - started;
  return report;
}

type GroupVectors = { ok: true; vectors: number[][] } | { ok: false; kind: FailureKind; reason: string };

/** Embed a group's chunks; a failure is returned (and reported by storeGroup), never thrown. */
async function embedGroup(rag: RagStack, docs: PreparedDocument[]): Promise<GroupVectors> {
  // A dead Chroma fails the group before minutes of embedding are spent on it.
  try {
    await rag.chroma.heartbeat();
  } catch (cause) {
    return { ok: false, kind: 'service', reason: `Chroma unavailable: ${(cause as Error).message}` };
  }
  // The title goes in front of every chunk's text for the model: a chunk from the middle of
  // a PDCA still says what the PDCA is about.
  const texts = docs.flatMap((d) => d.chunks.map((c) => embeddedText(d.title, c.text)));
  try {
    return { ok: true, vectors: await rag.embedder.embed(texts) };
  } catch (cause) {
    return { ok: false, kind: isWeb4Error(cause) && cause.code === 'storage' ? 'storage' : 'embedding', reason: `embedding failed: ${(cause as Error).message}` };
  }
}

async function storeGroup(
  rag: RagStack,
  collection: CollectionName,
  docs: PreparedDocument[],
  embedded: GroupVectors,
  known: Map<string, { contentHash: string }>,
  report: IndexingReport,
  now: () => Date,
  signature: string,
): Promise<void> {
  const fail = (kind: FailureKind, reason: string) => {
    for (const d of docs) addOutcome(report, { path: d.path, docId: d.docId, status: 'failed', kind, reason });
  };
  if (!embedded.ok) return fail(embedded.kind, embedded.reason);
  const { vectors } = embedded;
  const records: ChunkRecord[] = [];
  let v = 0;
  for (const d of docs) {
    for (const c of d.chunks) {
      records.push({
        id: `${d.docId}#${c.index}`,
        embedding: vectors[v++]!,
        document: c.text,
        metadata: {
          ...d.metadata,
          doc_id: d.docId,
          title: d.title,
          file_path: d.path,
          content_hash: d.hash,
          chunk_index: c.index,
          chunk_start: c.start,
          chunk_count: d.chunks.length,
          ...(d.sectionOf ? { section: d.sectionOf(c) } : {}),
        },
      });
    }
  }
  try {
    await rag.chroma.deleteDocuments(collection, docs.filter((d) => known.has(d.docId)).map((d) => d.docId));
    await rag.chroma.upsert(collection, records);
    rag.lexical.replaceDocuments(collection, docs.map((d) => ({ docId: d.docId, title: d.title, chunks: d.chunks.map((c) => ({ id: `${d.docId}#${c.index}`, text: c.text })) })));
  } catch (cause) {
    const service = isWeb4Error(cause) && cause.code === 'service';
    return fail(service ? 'service' : 'storage', service ? `Chroma unavailable: ${(cause as Error).message}` : `Chroma write failed: ${(cause as Error).message}`);
  }
  const indexedAt = now().toISOString();
  for (const d of docs) {
    try {
      await rag.metadata.upsertDocument({
        collection,
        docId: d.docId,
        path: d.path,
        title: d.title,
        date: d.date,
        contentHash: d.hash,
        sizeBytes: d.bytes,
        chunkCount: d.chunks.length,
        trained: d.trained,
        trainingBatch: null,
        qualityScore: d.quality,
        indexedAt,
        indexSignature: signature,
      });
      if (d.graph) {
        rag.graph.upsertNodes([d.graph.node]);
        rag.graph.replaceOutgoing(d.graph.node.id, d.graph.kinds, d.graph.edges);
      }
      known.set(d.docId, { contentHash: d.hash });
      addOutcome(report, { path: d.path, docId: d.docId, status: 'indexed', chunks: d.chunks.length });
    } catch (cause) {
      addOutcome(report, { path: d.path, docId: d.docId, status: 'failed', kind: 'storage', reason: `metadata write failed: ${(cause as Error).message}` });
    }
  }
}
