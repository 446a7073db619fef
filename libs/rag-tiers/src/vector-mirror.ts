import { silentLogger, type Logger } from '@web4/core';
import type { CollectionName } from './collections.js';
import type { MetadataValue } from './retrieval-tier.js';

/** One collection's rows as Chroma holds them (vectors as stored, not yet normalized). */
export interface MirrorRows {
  ids: string[];
  embeddings: ArrayLike<number>[];
  documents: string[];
  metadatas: Record<string, MetadataValue>[];
}

/**
 * What the mirror reads from: Chroma through ChromaTier. `versions` is one cheap call (no
 * vectors, no counts): per existing collection its id (dropped and made again) and the change
 * mark every ChromaTier write leaves in its metadata. `count` is a call per collection, so it is
 * asked less often (it catches rows added or deleted by programs that leave no mark).
 */
export interface MirrorSource {
  versions(names: readonly CollectionName[]): Promise<Map<CollectionName, string>>;
  count(name: CollectionName): Promise<number>;
  read(name: CollectionName): Promise<MirrorRows>;
}

export interface VectorMirrorOptions {
  /** Vectors held in memory over all collections; a collection that would pass it stays on Chroma. */
  maxVectors: number;
  /** How often the collections' versions are compared with Chroma's (ms): the bound on staleness after another process writes. */
  refreshMs: number;
  /** How often the row counts are compared too (ms; default 30 × refreshMs). */
  countEveryMs?: number;
  /**
   * Another process's change is reloaded once the version has held still for one refresh (a night's
   * indexing writes every second; reloading each time would spend the gateway's CPU on copies),
   * but never later than this after it was first seen (ms; default 30 × refreshMs).
   */
  maxStaleMs?: number;
  logger?: Logger;
}

/** One nearest neighbour, in Chroma's own terms (cosine distance = 1 − cosine similarity). */
export interface MirrorHit {
  id: string;
  document: string;
  metadata: Record<string, MetadataValue>;
  distance: number;
}

interface Snapshot {
  version: string;
  ids: string[];
  documents: string[];
  metadatas: Record<string, MetadataValue>[];
  /** Row-major, each row scaled to unit length (a zero vector stays zero). */
  vectors: Float32Array;
  dim: number;
}

export interface VectorMirrorStats {
  /** Collections answered from memory, with their vector counts. */
  mirrored: Partial<Record<CollectionName, number>>;
  /** Collections left on Chroma because the vector budget was spent. */
  overBudget: CollectionName[];
  vectors: number;
  /** Searches answered from memory, and those sent to Chroma (not loaded yet, written by this process since, over budget). */
  served: number;
  fellBack: number;
  reloads: number;
  lastRefreshAt: string | null;
  lastError: string | null;
}

/**
 * An in-process copy of Chroma's collections for a long-running reader (the gateway): a query
 * becomes one exact cosine scan over unit vectors in a Float32Array instead of an HTTP round trip
 * per collection, whose tail was most of the gateway's retrieval p99. Exact, so it returns what
 * Chroma's HNSW index returns wherever that index is exact (small collections), and never worse.
 *
 * Consistency: a write through this process's ChromaTier takes that collection off the mirror at
 * once (Chroma answers it) until the reload that write triggers is in. A write by another process
 * is seen within two refreshes plus a reload: each refresh compares every collection's version
 * (its id and the change mark ChromaTier leaves on every write; one cheap call) and reloads a
 * collection whose version moved and then held still for one refresh, or had kept moving for
 * `maxStaleMs`. A version is read before the rows it describes, so a write that lands during a
 * reload moves the version again and a later refresh reloads. Row counts are compared every
 * `countEveryMs`, which catches rows added or deleted by programs that leave no mark; a row
 * rewritten in place by such a program is not seen until the next change that is.
 */
export class VectorMirror {
  private readonly snapshots = new Map<CollectionName, Snapshot>();
  /** Writes this process made per collection, and how many of them the loaded copy holds. */
  private readonly writes = new Map<CollectionName, number>();
  private readonly loadedWrites = new Map<CollectionName, number>();
  private readonly overBudget = new Set<CollectionName>();
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private readonly firstRefresh: Promise<void>;
  /** Versions seen moving and not yet reloaded: the version last seen, and when the move was first seen. */
  private readonly pending = new Map<CollectionName, { version: string; since: number }>();
  private lastCountAt = -Infinity;
  private stats = { served: 0, fellBack: 0, reloads: 0, lastRefreshAt: null as string | null, lastError: null as string | null };

  constructor(
    private readonly source: MirrorSource,
    private readonly names: readonly CollectionName[],
    private readonly options: VectorMirrorOptions,
  ) {
    if (!(options.maxVectors >= 0) || !(options.refreshMs > 0)) throw new RangeError('VectorMirror needs maxVectors ≥ 0 and refreshMs > 0');
    this.logger = options.logger ?? silentLogger();
    this.firstRefresh = this.refresh();
    this.schedule();
  }

  /** Resolves once the first load has been tried (it does not fail: a failure leaves Chroma answering). */
  ready(): Promise<void> {
    return this.firstRefresh;
  }

  /**
   * The `n` nearest rows of `name` that pass `accept`, or undefined when this collection is not
   * answered from memory now (the caller asks Chroma).
   */
  search(name: CollectionName, embedding: readonly number[], n: number, accept?: (metadata: Record<string, MetadataValue>) => boolean): MirrorHit[] | undefined {
    const s = this.snapshots.get(name);
    if (!s || this.isDirty(name) || (s.ids.length > 0 && embedding.length !== s.dim)) {
      this.stats.fellBack++;
      return undefined;
    }
    this.stats.served++;
    if (n <= 0 || s.ids.length === 0) return [];
    const q = unit(embedding);
    const dim = s.dim;
    const v = s.vectors;
    // The best n so far, kept sorted by similarity (descending); n is small (3-10).
    const bestIdx: number[] = [];
    const bestSim: number[] = [];
    for (let r = 0, o = 0; r < s.ids.length; r++, o += dim) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      let k = 0;
      for (; k + 3 < dim; k += 4) {
        a0 += v[o + k]! * q[k]!;
        a1 += v[o + k + 1]! * q[k + 1]!;
        a2 += v[o + k + 2]! * q[k + 2]!;
        a3 += v[o + k + 3]! * q[k + 3]!;
      }
      for (; k < dim; k++) a0 += v[o + k]! * q[k]!;
      const sim = a0 + a1 + a2 + a3;
      if (bestSim.length === n && sim <= bestSim[n - 1]!) continue;
      if (accept && !accept(s.metadatas[r]!)) continue;
      let at = bestSim.length;
      while (at > 0 && bestSim[at - 1]! < sim) at--;
      bestSim.splice(at, 0, sim);
      bestIdx.splice(at, 0, r);
      if (bestSim.length > n) {
        bestSim.pop();
        bestIdx.pop();
      }
    }
    return bestIdx.map((r, i) => ({ id: s.ids[r]!, document: s.documents[r]!, metadata: s.metadatas[r]!, distance: 1 - bestSim[i]! }));
  }

  /** Every row of one document (by its `doc_id`), or undefined when `name` is not answered from memory now. */
  rowsOf(name: CollectionName, docId: string): Array<{ id: string; document: string; metadata: Record<string, MetadataValue> }> | undefined {
    const s = this.snapshots.get(name);
    if (!s || this.isDirty(name)) return undefined;
    const out: Array<{ id: string; document: string; metadata: Record<string, MetadataValue> }> = [];
    s.metadatas.forEach((m, r) => {
      if (m.doc_id === docId) out.push({ id: s.ids[r]!, document: s.documents[r]!, metadata: m });
    });
    return out;
  }

  /** This process wrote to `name`: Chroma answers it until a reload has the write. */
  invalidate(name: CollectionName): void {
    this.writes.set(name, (this.writes.get(name) ?? 0) + 1);
    this.soon();
  }

  private isDirty(name: CollectionName): boolean {
    return (this.writes.get(name) ?? 0) !== (this.loadedWrites.get(name) ?? 0);
  }

  /** Compare every collection's version with Chroma's and reload those that moved (one at a time). */
  refresh(): Promise<void> {
    this.running ??= this.doRefresh().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  snapshotStats(): VectorMirrorStats {
    const mirrored: Partial<Record<CollectionName, number>> = {};
    let vectors = 0;
    for (const [name, s] of this.snapshots) {
      mirrored[name] = s.ids.length;
      vectors += s.ids.length;
    }
    return { mirrored, overBudget: [...this.overBudget], vectors, ...this.stats };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
    this.snapshots.clear();
  }

  private schedule(delay = this.options.refreshMs): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh().finally(() => this.schedule());
    }, delay);
    this.timer.unref();
  }

  /** A local write: refresh now rather than at the next tick (coalesced with one in flight). */
  private soon(): void {
    if (!this.running) this.schedule(0);
  }

  private async doRefresh(): Promise<void> {
    if (this.closed) return;
    try {
      // Writes counted now finished before the versions are read, so the rows read below hold them.
      const writesAtStart = new Map(this.writes);
      const now = Date.now();
      const countEvery = this.options.countEveryMs ?? 30 * this.options.refreshMs;
      const maxStale = this.options.maxStaleMs ?? 30 * this.options.refreshMs;
      const withCounts = now - this.lastCountAt >= countEvery;
      const versions = await this.source.versions(this.names);
      let budget = this.options.maxVectors;
      for (const name of this.names) {
        if (this.closed) return;
        const version = versions.get(name);
        const have = this.snapshots.get(name);
        if (version === undefined) {
          // Not on the server (yet): nothing to answer from memory.
          this.snapshots.delete(name);
          this.pending.delete(name);
          continue;
        }
        const written = writesAtStart.get(name) ?? 0;
        const ownWrite = written !== (this.loadedWrites.get(name) ?? 0);
        let moved = !have || have.version !== version || ownWrite || this.pending.has(name);
        if (!moved && withCounts && (await this.source.count(name)) !== have!.ids.length) moved = true;
        if (!moved) {
          budget -= have!.ids.length;
          this.pending.delete(name);
          continue;
        }
        // Another process is writing: wait until it holds still for one refresh (or maxStale).
        if (have && !ownWrite) {
          const p = this.pending.get(name);
          if (!p || (p.version !== version && now - p.since < maxStale)) {
            this.pending.set(name, { version, since: p?.since ?? now });
            budget -= have.ids.length;
            continue;
          }
        }
        const count = await this.source.count(name);
        if (count > budget) {
          if (!this.overBudget.has(name)) this.logger.info(`vector mirror: ${name} (${count} vectors) stays on Chroma: the mirror's budget (rag.vectorMirror.maxVectors ${this.options.maxVectors}) has ${budget} left`);
          this.overBudget.add(name);
          this.snapshots.delete(name);
          this.pending.delete(name);
          continue;
        }
        this.overBudget.delete(name);
        const readStarted = performance.now();
        const rows = await this.source.read(name);
        const snapshot = toSnapshot(version, rows);
        if (have) this.logger.info(`vector mirror: ${name} reloaded (${snapshot.ids.length} vectors, ${Math.round(performance.now() - readStarted)} ms)`);
        this.snapshots.set(name, snapshot);
        this.pending.delete(name);
        this.loadedWrites.set(name, written);
        this.stats.reloads++;
        budget -= snapshot.ids.length;
      }
      if (withCounts) this.lastCountAt = now;
      this.stats.lastRefreshAt = new Date().toISOString();
      if (this.stats.lastError) this.logger.info('vector mirror: Chroma answers again; the mirror is current');
      this.stats.lastError = null;
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      // Keep serving what was loaded (Chroma's contents as of the last refresh); say so once.
      if (this.stats.lastError !== message) this.logger.warn(`vector mirror: refresh failed, answering from the copy of ${this.stats.lastRefreshAt ?? 'never'}: ${message}`);
      this.stats.lastError = message;
    }
  }
}

function unit(values: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(values as ArrayLike<number>);
  let norm = 0;
  for (let i = 0; i < out.length; i++) norm += out[i]! * out[i]!;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < out.length; i++) out[i]! /= norm;
  return out;
}

function toSnapshot(version: string, rows: MirrorRows): Snapshot {
  const dim = rows.embeddings[0]?.length ?? 0;
  const vectors = new Float32Array(rows.ids.length * dim);
  rows.embeddings.forEach((e, r) => {
    if (e.length !== dim) throw new Error(`collection rows have vectors of ${dim} and ${e.length} dimensions`);
    vectors.set(unit(e), r * dim);
  });
  return { version, ids: rows.ids, documents: rows.documents, metadatas: rows.metadatas, vectors, dim };
}
