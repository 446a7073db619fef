import { InputError } from '@web4/core';
import { COLLECTION_NAMES, SEARCH_COLLECTIONS, isCollectionName, type CollectionName } from './collections.js';
import type { HotPdcaCache, PdcaEntry } from './hot-pdca-cache.js';
import type { RetrievalFilters, RetrievalTier, RetrievedItem, TierName } from './retrieval-tier.js';
import { TIER_NAMES } from './retrieval-tier.js';
import type { TextEmbedder } from './text-embedder.js';
import { DEFAULT_FUSION, fuseRankings, type FusionSettings } from './rank-fusion.js';

export interface RetrieveOptions {
  /** Tiers to ask; default all four. */
  tiers?: readonly TierName[];
  /** One number for every collection, or per collection; default: rag.nResults of the config. */
  nResults?: number | Partial<Record<CollectionName, number>>;
  filters?: RetrievalFilters;
  /** Collections to search; default the five of DESIGN.md (add daily_buffer for today's work). */
  collections?: readonly CollectionName[];
  /** Also return the whole text of each PDCA found (through the hot-PDCA cache). */
  pdcaContext?: boolean;
  /** Fusion settings for this call; default rag.fusion of the config. */
  fusion?: FusionSettings;
}

/** Each tier's own result list for a query, before fusion. */
export interface GatheredLists {
  query: string;
  tiersQueried: TierName[];
  byTier: Partial<Record<TierName, RetrievedItem[]>>;
  timingsMs: RetrievalResult['timingsMs'];
}

export interface RetrievalResult {
  query: string;
  /** All items, best first (fused order: `fusedScore`; `score` is each tier's own). */
  results: RetrievedItem[];
  /** Tiers that were asked. */
  tiersQueried: TierName[];
  /** Tiers that contributed at least one result: what the metrics record as RAG usage. */
  tiersUsed: TierName[];
  /** Collections that contributed at least one result. */
  collectionsUsed: CollectionName[];
  pdcas: PdcaEntry[];
  latencyMs: number;
  timingsMs: Partial<Record<TierName | 'embed' | 'fusion' | 'context', number>>;
}

/**
 * The one retrieval entry point: the tiers' lists (see `gather`), fused by reciprocal rank
 * fusion with the configured per-tier weights (rag.fusion), so that no tier's items are
 * interleaved into another's by scores that mean different things.
 */
export class Retriever {
  constructor(
    private readonly embedder: TextEmbedder,
    private readonly tiers: Partial<Record<TierName, RetrievalTier>>,
    private readonly defaultNResults: Record<CollectionName, number>,
    private readonly cache?: HotPdcaCache,
    private readonly fusion: FusionSettings = DEFAULT_FUSION,
    /** The model itself, past any query cache (for warmUp). */
    private readonly rawEmbedder: TextEmbedder = embedder,
  ) {}

  async retrieve(query: string, options: RetrieveOptions = {}): Promise<RetrievalResult> {
    const started = performance.now();
    const gathered = await this.gather(query, options);
    const t = performance.now();
    const { items: results } = fuseRankings(gathered.byTier, options.fusion ?? this.fusion);
    gathered.timingsMs.fusion = performance.now() - t;

    const pdcaIds = [...new Set(results.filter((r) => r.collection === 'pdca_historical' || r.collection === 'daily_buffer').map((r) => r.documentId))];
    let pdcas: PdcaEntry[] = [];
    if (this.cache) {
      if (options.pdcaContext) {
        const t = performance.now();
        pdcas = (await Promise.all(pdcaIds.map((id) => this.cache!.get(id)))).filter((p): p is PdcaEntry => p !== undefined);
        gathered.timingsMs.context = performance.now() - t;
      } else {
        for (const id of pdcaIds) this.cache.peek(id);
      }
    }
    return {
      query: gathered.query,
      results,
      tiersQueried: gathered.tiersQueried,
      tiersUsed: TIER_NAMES.filter((n) => results.some((r) => (r.foundBy ?? [r.tier]).includes(n))),
      collectionsUsed: COLLECTION_NAMES.filter((c) => results.some((r) => (r.tier === 'chroma' || r.tier === 'lexical') && r.collection === c)),
      pdcas,
      latencyMs: performance.now() - started,
      timingsMs: gathered.timingsMs,
    };
  }

  /**
   * Ask the tiers without fusing: each tier's own list. Tier 1 (vectors), the lexical tier and
   * tier 3 (facts) run on the query; tier 2 (graph) expands around what they found. `rag
   * optimize` fuses these lists under many settings without asking the tiers again.
   */
  async gather(query: string, options: Pick<RetrieveOptions, 'tiers' | 'nResults' | 'filters' | 'collections'> = {}): Promise<GatheredLists> {
    const text = query.trim();
    if (!text) throw new InputError('The query is empty.', { hint: 'Pass the question to search for.' });
    const tierNames = validateTiers(options.tiers ?? TIER_NAMES);
    const collections = validateCollections(options.collections ?? SEARCH_COLLECTIONS);
    const nResults = this.resolveNResults(options.nResults);
    const filters = options.filters ?? {};
    const timings: RetrievalResult['timingsMs'] = {};
    const base = { text, nResults, collections, filters };

    let embedding: number[] | undefined;
    if (tierNames.includes('chroma')) {
      const t = performance.now();
      [embedding] = await this.embedder.embed([text]);
      timings.embed = performance.now() - t;
    }
    const byTier: Partial<Record<TierName, RetrievedItem[]>> = {};
    await Promise.all(
      (['chroma', 'metadata', 'lexical'] as const)
        .filter((n) => tierNames.includes(n) && this.tiers[n])
        .map(async (n) => {
          const t = performance.now();
          const items = await this.tiers[n]!.search({ ...base, ...(embedding ? { embedding } : {}), seeds: [] });
          // Chroma answers per collection; its cosine scores rank across them. The other tiers
          // return their own order (the lexical tier's is BM25, not its 0..1 score).
          byTier[n] = n === 'chroma' ? items.sort((a, b) => b.score - a.score) : items;
          timings[n] = performance.now() - t;
        }),
    );
    if (tierNames.includes('graph') && this.tiers.graph) {
      const t = performance.now();
      const seeds = [...(byTier.chroma ?? []), ...(byTier.metadata ?? []), ...(byTier.lexical ?? [])];
      byTier.graph = await this.tiers.graph.search({ ...base, seeds });
      timings.graph = performance.now() - t;
    }
    return { query: text, tiersQueried: [...tierNames], byTier, timingsMs: timings };
  }

  /**
   * Load the embedding model and run its first inference, which in a fresh process costs far
   * more than a query does later (session set-up, first allocation). Returns the milliseconds,
   * so a command can say which part of its time was the model start.
   */
  async warmUp(): Promise<number> {
    const t = performance.now();
    await this.rawEmbedder.embed(['warm-up']);
    return performance.now() - t;
  }

  private resolveNResults(n: RetrieveOptions['nResults']): Record<CollectionName, number> {
    if (n === undefined) return this.defaultNResults;
    if (typeof n === 'number') {
      if (!Number.isInteger(n) || n < 1 || n > 100) throw new InputError(`nResults must be a whole number from 1 to 100, got ${n}.`);
      return Object.fromEntries(COLLECTION_NAMES.map((c) => [c, n])) as Record<CollectionName, number>;
    }
    return { ...this.defaultNResults, ...n };
  }
}

function validateTiers(tiers: readonly string[]): TierName[] {
  const bad = tiers.filter((t) => !(TIER_NAMES as readonly string[]).includes(t));
  if (bad.length) throw new InputError(`Unknown retrieval tier(s): ${bad.join(', ')}.`, { hint: `Use ${TIER_NAMES.join(', ')}.` });
  return tiers as TierName[];
}

function validateCollections(collections: readonly string[]): CollectionName[] {
  const bad = collections.filter((c) => !isCollectionName(c));
  if (bad.length) throw new InputError(`Unknown collection(s): ${bad.join(', ')}.`, { hint: `Use ${COLLECTION_NAMES.join(', ')}.` });
  return collections as CollectionName[];
}
