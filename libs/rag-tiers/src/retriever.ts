import { InputError } from '@web4/core';
import { COLLECTION_NAMES, SEARCH_COLLECTIONS, isCollectionName, type CollectionName } from './collections.js';
import type { HotPdcaCache, PdcaEntry } from './hot-pdca-cache.js';
import type { RetrievalFilters, RetrievalTier, RetrievedItem, TierName } from './retrieval-tier.js';
import { TIER_NAMES } from './retrieval-tier.js';
import type { TextEmbedder } from './text-embedder.js';

export interface RetrieveOptions {
  /** Tiers to ask; default all three. */
  tiers?: readonly TierName[];
  /** One number for every collection, or per collection; default: rag.nResults of the config. */
  nResults?: number | Partial<Record<CollectionName, number>>;
  filters?: RetrievalFilters;
  /** Collections to search; default the five of DESIGN.md (add daily_buffer for today's work). */
  collections?: readonly CollectionName[];
  /** Also return the whole text of each PDCA found (through the hot-PDCA cache). */
  pdcaContext?: boolean;
}

export interface RetrievalResult {
  query: string;
  /** All items, best first. */
  results: RetrievedItem[];
  /** Tiers that were asked. */
  tiersQueried: TierName[];
  /** Tiers that contributed at least one result: what the metrics record as RAG usage. */
  tiersUsed: TierName[];
  /** Collections that contributed at least one result. */
  collectionsUsed: CollectionName[];
  pdcas: PdcaEntry[];
  latencyMs: number;
  timingsMs: Partial<Record<TierName | 'embed' | 'context', number>>;
}

/**
 * The one retrieval entry point. Tier 1 (vectors) and tier 3 (facts) run on the query; tier 2
 * (graph) expands around what they found. Scores are 0..1 on every tier, so one sort ranks them.
 */
export class Retriever {
  constructor(
    private readonly embedder: TextEmbedder,
    private readonly tiers: Partial<Record<TierName, RetrievalTier>>,
    private readonly defaultNResults: Record<CollectionName, number>,
    private readonly cache?: HotPdcaCache,
  ) {}

  async retrieve(query: string, options: RetrieveOptions = {}): Promise<RetrievalResult> {
    const started = performance.now();
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
    const first = await Promise.all(
      (['chroma', 'metadata'] as const)
        .filter((n) => tierNames.includes(n) && this.tiers[n])
        .map(async (n) => {
          const t = performance.now();
          const items = await this.tiers[n]!.search({ ...base, ...(embedding ? { embedding } : {}), seeds: [] });
          timings[n] = performance.now() - t;
          return items;
        }),
    );
    const seeds = first.flat();
    let graphItems: RetrievedItem[] = [];
    if (tierNames.includes('graph') && this.tiers.graph) {
      const t = performance.now();
      graphItems = await this.tiers.graph.search({ ...base, seeds });
      timings.graph = performance.now() - t;
    }

    const byId = new Map<string, RetrievedItem>();
    for (const item of [...seeds, ...graphItems]) {
      const prev = byId.get(item.id);
      if (!prev || prev.score < item.score) byId.set(item.id, item);
    }
    const results = [...byId.values()].sort((a, b) => b.score - a.score);

    const pdcaIds = [...new Set(results.filter((r) => r.collection === 'pdca_historical' || r.collection === 'daily_buffer').map((r) => r.documentId))];
    let pdcas: PdcaEntry[] = [];
    if (this.cache) {
      if (options.pdcaContext) {
        const t = performance.now();
        pdcas = (await Promise.all(pdcaIds.map((id) => this.cache!.get(id)))).filter((p): p is PdcaEntry => p !== undefined);
        timings.context = performance.now() - t;
      } else {
        for (const id of pdcaIds) this.cache.peek(id);
      }
    }
    return {
      query: text,
      results,
      tiersQueried: [...tierNames],
      tiersUsed: TIER_NAMES.filter((n) => results.some((r) => r.tier === n)),
      collectionsUsed: COLLECTION_NAMES.filter((c) => results.some((r) => r.tier === 'chroma' && r.collection === c)),
      pdcas,
      latencyMs: performance.now() - started,
      timingsMs: timings,
    };
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
