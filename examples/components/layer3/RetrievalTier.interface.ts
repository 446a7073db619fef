/**
 * One tier of the three-tier retrieval: vectors (Chroma), relationships (SQLite graph) and
 * facts (SQLite metadata). A query names the tiers it wants so that the metrics can record
 * which tiers were actually consulted, not which ones were configured.
 */
export type TierName = 'vector' | 'graph' | 'metadata';

export interface RetrievedItem {
  id: string;
  collection: string;
  text: string;
  /** Higher is better; each tier maps its own distance into 0..1. */
  score: number;
  metadata: Record<string, string | number | boolean>;
}

export interface RetrievalQuery {
  text: string;
  nResults: number;
  collections?: string[];
  filters?: Record<string, string | number | boolean>;
}

export interface RetrievalTier {
  readonly name: TierName;
  search(query: RetrievalQuery): Promise<RetrievedItem[]>;
  health(): Promise<{ ok: boolean; detail: string }>;
}
