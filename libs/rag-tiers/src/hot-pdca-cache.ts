import { BatchedWriter, type Logger } from '@web4/core';
import { LRUCache } from 'lru-cache';
import type { AccessRecord } from './metadata-tier.js';

/** A PDCA as the cache holds it: the whole text rebuilt from its chunks, plus its facts. */
export interface PdcaEntry {
  pdcaId: string;
  collection: string;
  title: string;
  date: string | null;
  filePath: string;
  text: string;
}

export interface CacheStats {
  entries: number;
  maxEntries: number;
  hits: number;
  misses: number;
  hitRate: number | null;
  /** Bytes of the cached texts (UTF-16 in memory: 2 bytes per character) and their keys. */
  memoryBytes: number;
}

export interface AccessSink {
  appendAccess(records: readonly AccessRecord[]): void;
}

/**
 * The hot-PDCA cache: an LRU of `max` PDCAs keyed by pdca_id (the plan's
 * `@lru_cache(maxsize=100)` around its Chroma lookup). Every lookup is counted and recorded;
 * the records are buffered and written in batches, so a hit costs a Map lookup and an array push.
 */
export class HotPdcaCache {
  private readonly lru: LRUCache<string, PdcaEntry>;
  private readonly loading = new Map<string, Promise<PdcaEntry | undefined>>();
  /** Access records wait here and are written in batches; a failed write keeps them for a retry. */
  private readonly writer: BatchedWriter<AccessRecord> | undefined;
  private hits = 0;
  private misses = 0;

  constructor(
    private readonly load: (pdcaId: string) => Promise<PdcaEntry | undefined>,
    sink: AccessSink | undefined,
    readonly maxEntries = 100,
    private readonly now: () => Date = () => new Date(),
    logger?: Logger,
  ) {
    this.writer = sink
      ? new BatchedWriter<AccessRecord>({
          name: 'hot-PDCA accesses',
          write: (rows) => sink.appendAccess(rows),
          batchSize: 500,
          flushIntervalMs: 1000,
          maxPending: 100_000,
          overflow: 'drop-oldest',
          ...(logger ? { logger } : {}),
        })
      : undefined;
    this.lru = new LRUCache<string, PdcaEntry>({
      max: maxEntries,
      // Sizes are tracked for the memory figure; the entry count is what bounds the cache.
      maxSize: 2 ** 40,
      sizeCalculation: (v, k) => Math.max(1, 2 * (v.text.length + v.title.length + v.filePath.length + k.length)),
    });
  }

  /** The PDCA, from memory when hot, else loaded once (concurrent callers share the load). */
  async get(pdcaId: string): Promise<PdcaEntry | undefined> {
    const cached = this.lru.get(pdcaId);
    this.record(pdcaId, cached !== undefined);
    if (cached) return cached;
    return this.fill(pdcaId);
  }

  /** Synchronous hit path (the benchmark's figure): undefined on a miss, which starts a load. */
  peek(pdcaId: string): PdcaEntry | undefined {
    const cached = this.lru.get(pdcaId);
    this.record(pdcaId, cached !== undefined);
    if (!cached) void this.fill(pdcaId).catch(() => undefined);
    return cached;
  }

  /** Load PDCAs into the cache without counting or recording lookups (start-up warming). */
  async warm(pdcaIds: readonly string[]): Promise<number> {
    let loaded = 0;
    for (const id of pdcaIds.slice(0, this.maxEntries)) if (this.lru.has(id) || (await this.fill(id))) loaded++;
    return loaded;
  }

  stats(): CacheStats {
    const total = this.hits + this.misses;
    return {
      entries: this.lru.size,
      maxEntries: this.maxEntries,
      hits: this.hits,
      misses: this.misses,
      hitRate: total ? this.hits / total : null,
      memoryBytes: this.lru.calculatedSize,
    };
  }

  keys(): string[] {
    return [...this.lru.keys()];
  }

  /** Write buffered access records now (also runs on a timer and on close). Throws when the write fails; the records stay queued. */
  flush(): void {
    this.writer?.flush();
  }

  /** Access records waiting to be written, and the writer's counters (failed writes, dropped rows). */
  accessWriterStats() {
    return this.writer?.stats();
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.loading.values());
    this.writer?.close();
  }

  private fill(pdcaId: string): Promise<PdcaEntry | undefined> {
    let p = this.loading.get(pdcaId);
    if (!p) {
      p = this.load(pdcaId).then((entry) => {
        if (entry) this.lru.set(pdcaId, entry);
        return entry;
      });
      const clear = () => this.loading.delete(pdcaId);
      p.then(clear, clear);
      this.loading.set(pdcaId, p);
    }
    return p;
  }

  private record(pdcaId: string, hit: boolean): void {
    if (hit) this.hits++;
    else this.misses++;
    if (!this.writer || this.writer.closed) return;
    this.writer.enqueue({ pdcaId, at: this.now().toISOString(), hit });
  }
}
