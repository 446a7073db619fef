/**
 * The slice of a vector database the indexer needs. Chroma implements it in production; the
 * interface exists so the indexer never imports the chromadb client directly.
 */
export type MetadataValue = string | number | boolean;

export interface VectorRecord {
  id: string;
  text: string;
  metadata: Record<string, MetadataValue>;
}

export interface VectorStore {
  ensureCollection(name: string): Promise<void>;
  add(collection: string, records: VectorRecord[]): Promise<void>;
  deleteWhere(collection: string, where: Record<string, MetadataValue>): Promise<number>;
  /** pdca_id -> content_hash for everything already stored. */
  contentHashes(collection: string): Promise<Map<string, string>>;
  count(collection: string): Promise<number>;
}
