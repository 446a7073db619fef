import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { InputError } from '@web4/core';
import type { ChromaTier } from '../chroma-tier.js';
import { COLLECTION_NAMES, type CollectionName } from '../collections.js';
import type { TextEmbedder } from '../text-embedder.js';
import { mean, percentile, precisionAtK, reciprocalRank, recall, type JudgedList } from './retrieval-metrics.js';
import { matchesRef, type LabelledQuery } from './relevance-set.js';

export const CANDIDATE_K = [2, 3, 5] as const;

export interface OptimizationRow {
  collection: CollectionName;
  k: number;
  /** Labelled queries with at least one relevant document in this collection (the only ones scored). */
  queries: number;
  precision: number | null;
  recall: number | null;
  mrr: number | null;
  contextToNoise: number | null;
  latencyP50Ms: number;
}

export interface Recommendation {
  collection: CollectionName;
  current: number;
  recommended: number;
  reason: string;
}

export interface OptimizationResult {
  rows: OptimizationRow[];
  recommendations: Recommendation[];
  queries: number;
  skippedCollections: Array<{ collection: CollectionName; reason: string }>;
}

/**
 * Tune n_results per collection on a labelled query set (the plan's optimize_rag_parameters.py,
 * with real metrics instead of keyword counts): for k in 2/3/5 and every collection that has
 * items, precision@k, recall@k, MRR, context-to-noise and latency. The recommendation is the k
 * with the best F1 of precision and recall, the smaller k on a tie (less context, less latency).
 */
export async function optimizeRetrieval(
  chroma: ChromaTier,
  embedder: TextEmbedder,
  queries: readonly LabelledQuery[],
  current: Record<CollectionName, number>,
  options: { repeats?: number } = {},
): Promise<OptimizationResult> {
  const embeddings = await embedder.embed(queries.map((q) => q.query));
  const rows: OptimizationRow[] = [];
  const skippedCollections: OptimizationResult['skippedCollections'] = [];
  const recommendations: Recommendation[] = [];
  for (const collection of COLLECTION_NAMES) {
    const items = await chroma.count(collection);
    if (items === 0) {
      skippedCollections.push({ collection, reason: 'empty collection' });
      continue;
    }
    const labelled = queries.map((q, i) => ({ q, i, refs: q.relevant.filter((r) => !r.collection || r.collection === collection) }));
    const withRelevant = labelled.filter((l) => l.refs.length > 0);
    const collectionRows: OptimizationRow[] = [];
    for (const k of CANDIDATE_K) {
      const precisions: number[] = [];
      const recalls: number[] = [];
      const rrs: number[] = [];
      // Context-to-noise over the whole query set: relevant characters per irrelevant character.
      let context = 0;
      let noise = 0;
      const latencies: number[] = [];
      for (const l of labelled) {
        let judged: JudgedList | undefined;
        for (let rep = 0; rep < (options.repeats ?? 3); rep++) {
          const t = performance.now();
          const hits = await chroma.search({
            text: l.q.query,
            embedding: embeddings[l.i]!,
            nResults: { [collection]: k },
            collections: [collection],
            filters: {},
            seeds: [],
          });
          latencies.push(performance.now() - t);
          if (judged) continue;
          const relevant = hits.map((h) => l.refs.some((r) => matchesRef(r.ref, h.documentId, String(h.metadata.file_path ?? ''))));
          const found = new Set(hits.filter((_, j) => relevant[j]).map((h) => h.documentId));
          judged = { relevant, chars: hits.map((h) => h.text.length), foundDocs: Math.min(found.size, l.refs.length), totalRelevantDocs: l.refs.length };
        }
        if (!judged || l.refs.length === 0) continue;
        precisions.push(precisionAtK(judged, k));
        recalls.push(recall(judged) ?? 0);
        rrs.push(reciprocalRank(judged));
        judged.relevant.forEach((r, j) => {
          if (r) context += judged!.chars[j] ?? 0;
          else noise += judged!.chars[j] ?? 0;
        });
      }
      collectionRows.push({
        collection,
        k,
        queries: withRelevant.length,
        precision: mean(precisions),
        recall: mean(recalls),
        mrr: mean(rrs),
        contextToNoise: withRelevant.length === 0 ? null : noise === 0 ? (context > 0 ? Infinity : 0) : context / noise,
        latencyP50Ms: percentile(latencies, 50),
      });
    }
    rows.push(...collectionRows);
    const now = current[collection];
    if (withRelevant.length === 0) {
      recommendations.push({ collection, current: now, recommended: now, reason: 'no labelled query names a document of this collection; kept' });
      continue;
    }
    const f1 = (r: OptimizationRow) => {
      const p = r.precision ?? 0;
      const rc = r.recall ?? 0;
      return p + rc === 0 ? 0 : (2 * p * rc) / (p + rc);
    };
    const best = collectionRows.reduce((a, b) => (f1(b) > f1(a) + 1e-9 ? b : a));
    recommendations.push({
      collection,
      current: now,
      recommended: best.k,
      reason: `best F1 ${f1(best).toFixed(2)} (P ${fmt(best.precision)}, R ${fmt(best.recall)}, MRR ${fmt(best.mrr)}) over ${withRelevant.length} labelled queries`,
    });
  }
  return { rows, recommendations, queries: queries.length, skippedCollections };
}

function fmt(v: number | null): string {
  return v === null ? '–' : v.toFixed(2);
}

/**
 * Write recommended n_results into the config file's `rag.nResults`, keeping every other
 * setting (and creating the file when there is none).
 */
export function applyNResults(configFile: string, values: Partial<Record<CollectionName, number>>): void {
  updateRagSettings(configFile, (rag) => {
    const n = (typeof rag.nResults === 'object' && rag.nResults !== null ? rag.nResults : {}) as Record<string, unknown>;
    return { ...rag, nResults: { ...n, ...values } };
  });
}

/**
 * Rewrite the config file's `rag` section with `update`, keeping every other setting (and
 * creating the file when there is none): what `rag optimize --apply` writes.
 */
export function updateRagSettings(configFile: string, update: (rag: Record<string, unknown>) => Record<string, unknown>): void {
  let doc: Record<string, unknown> = {};
  if (existsSync(configFile)) {
    try {
      doc = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    } catch (cause) {
      throw new InputError(`Cannot update ${configFile}: it is not valid JSON (${(cause as Error).message}).`, { hint: 'Fix the file, then run again.' });
    }
  }
  const rag = (typeof doc.rag === 'object' && doc.rag !== null ? doc.rag : {}) as Record<string, unknown>;
  doc.rag = update(rag);
  writeFileSync(configFile, JSON.stringify(doc, null, 2) + '\n');
}
