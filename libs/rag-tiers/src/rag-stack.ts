import { resolvePaths, resolveStatePath, silentLogger, type Logger, type Web4Config } from '@web4/core';
import { serviceUrl } from '@web4/local-services';
import { CachedEmbedder, TEXTS_PER_MODEL_CALL } from './cached-embedder.js';
import { ChromaTier } from './chroma-tier.js';
import type { CollectionName } from './collections.js';
import { GraphTier } from './graph-tier.js';
import { HotPdcaCache, type PdcaEntry } from './hot-pdca-cache.js';
import { LexicalTier } from './lexical-tier.js';
import { MetadataTier } from './metadata-tier.js';
import { QueryEmbeddingCache } from './query-embedding-cache.js';
import { Retriever } from './retriever.js';
import type { TextEmbedder } from './text-embedder.js';

/**
 * This state root's Chroma, as `web4 services` knows it: `services.chroma.url`, the server it
 * started (its pid file), or an explicitly configured port. Undefined when it has none running:
 * a server that merely answers on the default port may be another root's.
 */
export function chromaUrl(config: Web4Config): string | undefined {
  return serviceUrl(config, resolvePaths(config), 'chroma');
}

/** A Chroma tier on this state root's own tenant and database. */
export function chromaTierFor(config: Web4Config, url: string | undefined = chromaUrl(config)): ChromaTier {
  return new ChromaTier(url, config.rag.chromaDatabase, config.rag.chromaTenant);
}

/** Everything retrieval needs, opened from the config: the four tiers, the cache, the retriever. */
export interface RagStack {
  config: Web4Config;
  chroma: ChromaTier;
  graph: GraphTier;
  metadata: MetadataTier;
  /** FTS5/BM25 over the same chunks as Chroma, in the metadata database file. */
  lexical: LexicalTier;
  embedder: CachedEmbedder;
  cache: HotPdcaCache;
  retriever: Retriever;
  logger: Logger;
  close(): Promise<void>;
}

export interface OpenRagOptions {
  /** The model behind the vectors (./embedding builds the real one from the config). */
  embedder: TextEmbedder;
  /** Override the Chroma URL of the config (tests, benchmarks). */
  chromaUrl?: string;
  logger?: Logger;
  now?: () => Date;
  /**
   * A long-running reader (the gateway): search from an in-process copy of the collections
   * (`rag.vectorMirror`, unless disabled there). One-off commands leave it off: loading every
   * vector costs more than the few queries they make.
   */
  mirrorVectors?: boolean;
}

export function openRag(config: Web4Config, options: OpenRagOptions): RagStack {
  const files = { busyTimeoutMs: config.monitoring.busyTimeoutMs };
  const metadata = MetadataTier.open(resolveStatePath(config, config.rag.metadataDb), files);
  const lexical = LexicalTier.open(resolveStatePath(config, config.rag.metadataDb), files);
  const graph = GraphTier.open(resolveStatePath(config, config.rag.graphDb), files);
  const chroma = chromaTierFor(config, options.chromaUrl ?? chromaUrl(config));
  const logger = options.logger ?? silentLogger();
  const m = config.rag.vectorMirror;
  if (options.mirrorVectors && m.enabled) chroma.mirrorVectors({ maxVectors: m.maxVectors, refreshMs: m.refreshMs, logger });
  const e = config.models.embedding;
  const embedder = new CachedEmbedder(options.embedder, metadata, TEXTS_PER_MODEL_CALL, `${e.source}:${e.source === 'hub' ? e.hubId : 'all-MiniLM-L6-v2'}:${e.dtype}`);
  const cache = new HotPdcaCache((id) => loadPdca(chroma, metadata, id), metadata, config.rag.cacheSize, options.now);
  // Queries go to the model through an in-memory cache, never through the persistent vector cache.
  const retriever = new Retriever(
    new QueryEmbeddingCache(options.embedder),
    { chroma, graph, metadata, lexical },
    config.rag.nResults,
    cache,
    config.rag.fusion,
    options.embedder,
  );
  return {
    config,
    chroma,
    graph,
    metadata,
    lexical,
    embedder,
    cache,
    retriever,
    logger,
    async close() {
      await chroma.close();
      await cache.close();
      await graph.close();
      await metadata.close();
      await lexical.close();
    },
  };
}

/**
 * Rebuild a PDCA's text from its chunks (overlaps removed by their start offsets); the buffer
 * holds today's version, so it wins over history.
 */
export async function loadPdca(chroma: ChromaTier, metadata: MetadataTier, pdcaId: string): Promise<PdcaEntry | undefined> {
  for (const collection of ['daily_buffer', 'pdca_historical'] as CollectionName[]) {
    const chunks = await chroma.textsOf(collection, pdcaId);
    if (chunks.length === 0) continue;
    chunks.sort((a, b) => Number(a.metadata.chunk_index) - Number(b.metadata.chunk_index));
    let text = '';
    for (const c of chunks) {
      const start = Number(c.metadata.chunk_start ?? text.length);
      text = text.slice(0, start) + c.document;
    }
    const doc = await metadata.getDocument(collection, pdcaId);
    return {
      pdcaId,
      collection,
      title: doc?.title ?? String(chunks[0]!.metadata.title ?? pdcaId),
      date: doc?.date ?? (chunks[0]!.metadata.date as string | undefined) ?? null,
      filePath: doc?.path ?? String(chunks[0]!.metadata.file_path ?? ''),
      text,
    };
  }
  return undefined;
}
