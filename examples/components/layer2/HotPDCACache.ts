/**
 * The most recently used PDCAs, bounded by count. A Map keeps insertion order, so re-inserting
 * on every hit turns it into an LRU without a linked list; at 100 entries that is plenty fast
 * and much easier to reason about than a hand-rolled list.
 */
export interface CacheStats {
  size: number;
  capacity: number;
  hits: number;
  misses: number;
  hitRate: number;
}

export class HotPDCACache<V> {
  private entries = new Map<string, V>();
  private hits = 0;
  private misses = 0;
  private capacity = 100;

  constructor() {}

  init(capacity = 100): this {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    return this;
  }

  get(pdcaId: string): V | undefined {
    const value = this.entries.get(pdcaId);
    if (value === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(pdcaId);
    this.entries.set(pdcaId, value);
    return value;
  }

  set(pdcaId: string, value: V): void {
    this.entries.delete(pdcaId);
    this.entries.set(pdcaId, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  stats(): CacheStats {
    const total = this.hits + this.misses;
    return { size: this.entries.size, capacity: this.capacity, hits: this.hits, misses: this.misses, hitRate: total ? this.hits / total : 0 };
  }
}
