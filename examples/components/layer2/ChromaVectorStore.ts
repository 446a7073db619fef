import { ChromaClient, type Collection } from 'chromadb';
import type { MetadataValue, VectorRecord, VectorStore } from '../layer3/VectorStore.interface.js';
import type { MiniLmEmbedder } from './MiniLmEmbedder.js';

/**
 * VectorStore on a Chroma server. We pass our own embeddings instead of letting Chroma embed,
 * so the same MiniLmEmbedder serves indexing and querying and the two can never disagree.
 */
export class ChromaVectorStore implements VectorStore {
  private client!: ChromaClient;
  private embedder!: MiniLmEmbedder;
  private collections = new Map<string, Collection>();

  constructor() {}

  init(url: string, embedder: MiniLmEmbedder): this {
    this.client = new ChromaClient({ path: url });
    this.embedder = embedder;
    return this;
  }

  async ensureCollection(name: string): Promise<void> {
    const c = await this.client.getOrCreateCollection({
      name,
      metadata: { 'hnsw:space': 'cosine', embedding_model: 'all-MiniLM-L6-v2', dim: this.embedder.dimension },
      embeddingFunction: null,
    });
    this.collections.set(name, c);
  }

  async add(collection: string, records: VectorRecord[]): Promise<void> {
    const c = this.get(collection);
    // Chroma accepts large adds, but 500 keeps each request well under its payload limit.
    for (let i = 0; i < records.length; i += 500) {
      const batch = records.slice(i, i + 500);
      await c.add({
        ids: batch.map((r) => r.id),
        documents: batch.map((r) => r.text),
        metadatas: batch.map((r) => r.metadata),
        embeddings: await this.embedder.embed(batch.map((r) => r.text)),
      });
    }
  }

  async deleteWhere(collection: string, where: Record<string, MetadataValue>): Promise<number> {
    const c = this.get(collection);
    const found = await c.get({ where: toWhere(where), include: [] });
    if (found.ids.length) await c.delete({ ids: found.ids });
    return found.ids.length;
  }

  async contentHashes(collection: string): Promise<Map<string, string>> {
    const c = this.get(collection);
    const hashes = new Map<string, string>();
    for (let offset = 0; ; offset += 5000) {
      const page = await c.get({ include: ['metadatas'], limit: 5000, offset });
      page.metadatas.forEach((m) => m && hashes.set(String(m.pdca_id), String(m.content_hash)));
      if (page.ids.length < 5000) return hashes;
    }
  }

  async count(collection: string): Promise<number> {
    return this.get(collection).count();
  }

  private get(name: string): Collection {
    const c = this.collections.get(name);
    if (!c) throw new Error(`collection ${name} is not open; call ensureCollection("${name}") first`);
    return c;
  }
}

/** Chroma rejects `$and` with a single condition, so one condition is passed as it is. */
export function toWhere(filter: Record<string, MetadataValue>) {
  const parts = Object.entries(filter).map(([k, v]) => ({ [k]: { $eq: v } }));
  return parts.length === 1 ? parts[0]! : { $and: parts };
}
