import { existsSync } from 'node:fs';
import { resolveStatePath, type Web4Config } from '@web4/core';
import { COLLECTION_NAMES, type CollectionName } from './collections.js';
import { GraphTier } from './graph-tier.js';
import { LexicalTier } from './lexical-tier.js';
import { MetadataTier } from './metadata-tier.js';
import { chromaTierFor, chromaUrl } from './rag-stack.js';
import { trainingConsistency, type TrainingConsistency } from './training-consistency.js';

export interface CollectionHealthRow {
  collection: CollectionName;
  reachable: boolean;
  /** Chunks stored in Chroma (null when unreachable). */
  items: number | null;
  /** Documents and chunks the metadata tier says are behind it. */
  documents: number;
  expectedItems: number;
  /** True when Chroma holds exactly the chunks the metadata records. */
  consistent: boolean | null;
  error?: string;
}

export interface CollectionHealth {
  chromaUrl: string;
  /** This state root's tenant and database on that server. */
  chromaTenant: string;
  chromaDatabase: string;
  reachable: boolean;
  collections: CollectionHealthRow[];
  graph: { nodes: Record<string, number>; edges: Record<string, number> };
  /** The cross-tier check of trained PDCAs (null when Chroma is down or nothing was indexed). */
  training: TrainingConsistency | null;
  checkedAt: string;
}

/**
 * Each collection reachable, its item count, and the document counts behind it. Used by
 * `web4 monitor report` and `web4 rag health`; never throws for a down server, it reports it.
 */
export async function collectionHealth(config: Web4Config, options: { chromaUrl?: string } = {}): Promise<CollectionHealth> {
  const chroma = chromaTierFor(config, options.chromaUrl ?? chromaUrl(config));
  const url = chroma.url;
  // A state root that never indexed has no tier files; a health check must not create them.
  const metadataFile = resolveStatePath(config, config.rag.metadataDb);
  const graphFile = resolveStatePath(config, config.rag.graphDb);
  const files = { busyTimeoutMs: config.monitoring.busyTimeoutMs };
  const metadata = existsSync(metadataFile) ? MetadataTier.open(metadataFile, files) : undefined;
  const graph = existsSync(graphFile) ? GraphTier.open(graphFile, files) : undefined;
  const lexical = metadata ? LexicalTier.open(metadataFile, files) : undefined;
  try {
    const counts = metadata ? await metadata.countsByCollection() : {};
    let reachable = true;
    try {
      await chroma.heartbeat();
    } catch {
      reachable = false;
    }
    const collections: CollectionHealthRow[] = [];
    for (const collection of COLLECTION_NAMES) {
      const behind = counts[collection] ?? { documents: 0, chunks: 0 };
      const row: CollectionHealthRow = {
        collection,
        reachable: false,
        items: null,
        documents: behind.documents,
        expectedItems: behind.chunks,
        consistent: null,
      };
      if (reachable) {
        try {
          row.items = await chroma.count(collection);
          row.reachable = true;
          row.consistent = row.items === behind.chunks;
        } catch (error) {
          row.error = (error as Error).message;
        }
      } else row.error = `Chroma at ${url} is not reachable`;
      collections.push(row);
    }
    let training: TrainingConsistency | null = null;
    if (reachable && metadata && graph) {
      try {
        training = await trainingConsistency({ chroma, metadata, graph, ...(lexical ? { lexical } : {}) });
      } catch {
        training = null; // Chroma went away between the calls: the rows above already say so
      }
    }
    return { chromaUrl: url, chromaTenant: chroma.tenant, chromaDatabase: chroma.database, reachable, collections, graph: graph ? await graph.counts() : { nodes: {}, edges: {} }, training, checkedAt: new Date().toISOString() };
  } finally {
    await graph?.close();
    await metadata?.close();
    await lexical?.close();
  }
}
