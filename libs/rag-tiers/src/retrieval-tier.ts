import type { CollectionName } from './collections.js';

export type TierName = 'chroma' | 'graph' | 'metadata' | 'lexical';

export const TIER_NAMES: readonly TierName[] = ['chroma', 'graph', 'metadata', 'lexical'];

/** Narrowing applied by every tier that can: PDCA dates, trained flag, quality. */
export interface RetrievalFilters {
  /** Inclusive `YYYY-MM-DD` bounds on the PDCA date. */
  dateFrom?: string;
  dateTo?: string;
  /** Only PDCAs already trained into the adapter (true) or still waiting (false). */
  trained?: boolean;
  minQuality?: number;
  pdcaIds?: string[];
}

export type MetadataValue = string | number | boolean | null;

/**
 * One ranked piece of context. `score` is the tier's own judgement of the item, 0..1 and
 * higher-is-better (what `serving.minContextScore` is held against); the order of a retrieval
 * is `fusedScore`, the reciprocal rank fusion of the tiers' rankings of its document.
 */
export interface RetrievedItem {
  id: string;
  tier: TierName;
  /** The Chroma collection, for items from tier 1 (and graph items pointing into one). */
  collection?: CollectionName;
  /** The document the item belongs to (pdca_id for PDCAs, doc_id for other documents). */
  documentId: string;
  text: string;
  score: number;
  /** Set by the retriever: the item's document's fused score (see rank-fusion.ts). */
  fusedScore?: number;
  /** Set by the retriever: every tier that returned this item (the same chunk from Chroma and FTS5). */
  foundBy?: TierName[];
  metadata: Record<string, MetadataValue>;
}

export interface TierQuery {
  text: string;
  /** The query's embedding, computed once by the retriever and shared by the tiers. */
  embedding?: number[];
  /** Results wanted per collection (tier 1) or in total (tiers 2, 3). */
  nResults: Partial<Record<CollectionName, number>>;
  collections: readonly CollectionName[];
  filters: RetrievalFilters;
  /** Documents found by earlier tiers; the graph expands around them. */
  seeds: readonly RetrievedItem[];
}

/** One retrieval tier: Chroma vectors, the SQLite graph, or the SQLite metadata. */
export interface RetrievalTier {
  readonly name: TierName;
  search(query: TierQuery): Promise<RetrievedItem[]>;
}
