import { LRUCache } from 'lru-cache';
import type { TextEmbedder } from './text-embedder.js';

/**
 * Query vectors kept in memory only: users repeat questions, so a repeat skips the model, but
 * unlike document chunks a query is never written to SQLite (the serving path must not wait on
 * a disk write, and the vector cache must not grow with every question asked).
 */
export class QueryEmbeddingCache implements TextEmbedder {
  private readonly lru: LRUCache<string, number[]>;
  hits = 0;
  misses = 0;

  constructor(
    private readonly inner: TextEmbedder,
    max = 1000,
  ) {
    this.lru = new LRUCache({ max });
  }

  async embed(texts: string[]): Promise<number[][]> {
    const out: Array<number[] | undefined> = texts.map((t) => this.lru.get(t));
    const missing = texts.filter((_, i) => out[i] === undefined);
    this.hits += texts.length - missing.length;
    this.misses += missing.length;
    if (missing.length > 0) {
      const vectors = await this.inner.embed(missing);
      let j = 0;
      texts.forEach((t, i) => {
        if (out[i] === undefined) {
          out[i] = vectors[j++]!;
          this.lru.set(t, out[i]!);
        }
      });
    }
    return out as number[][];
  }
}
