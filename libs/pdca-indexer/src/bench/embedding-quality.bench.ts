/**
 * Retrieval quality by embedding dtype, on the labelled query set: the example corpus indexed
 * once per dtype (fp32, int8, q8) into its own Chroma database, then `optimizeRetrieval`'s
 * precision/recall/MRR at k=3 per collection, and the query-weighted mean over collections.
 * fp32 is the baseline; the default (int8) must stay within 0.02 of it on each mean.
 *   tsx libs/pdca-indexer/src/bench/embedding-quality.bench.ts
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, resolvePaths } from '@web4/core';
import { createEmbedder, loadRelevanceSet, openRag, optimizeRetrieval, type OptimizationRow } from '@web4/rag-tiers';
import { indexCorpus } from '../corpus-indexing.js';
import { benchWithChroma } from './bench-chroma.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const EX = join(REPO, 'examples');
const round = (v: number) => Math.round(v * 1000) / 1000;

async function main(chromaUrl: string, work: string) {
  const queries = loadRelevanceSet(join(EX, 'queries/relevance.yaml'));
  const means: Record<string, { precision: number; recall: number; mrr: number; chunks: number }> = {};
  for (const dtype of ['fp32', 'int8', 'q8'] as const) {
    const { config } = loadConfig({
      root: join(work, dtype),
      env: {},
      overrides: {
        'services.chroma.url': chromaUrl,
        'rag.chromaDatabase': `quality_${dtype}`,
        'rag.journal.root': join(EX, 'journal'),
        'rag.corpus.components': join(EX, 'components'),
        'rag.corpus.processDocs': join(EX, 'process_docs'),
        'rag.corpus.toolExamples': join(EX, 'tool_examples'),
        'rag.corpus.trainai': join(EX, 'trainai'),
        'models.embedding.dtype': dtype,
      },
    });
    const embedder = createEmbedder(config, resolvePaths(config));
    const rag = openRag(config, { embedder });
    const indexed = await indexCorpus(rag, config);
    const result = await optimizeRetrieval(rag.chroma, embedder, queries, config.rag.nResults);
    const rows = result.rows.filter((r) => r.k === 3 && r.queries > 0);
    const weighted = (f: (r: OptimizationRow) => number | null) => rows.reduce((s, r) => s + (f(r) ?? 0) * r.queries, 0) / rows.reduce((s, r) => s + r.queries, 0);
    means[dtype] = { precision: weighted((r) => r.precision), recall: weighted((r) => r.recall), mrr: weighted((r) => r.mrr), chunks: indexed.reports.reduce((s, r) => s + r.chunks, 0) };
    process.stderr.write(`quality: ${dtype}: ${rows.map((r) => `${r.collection} P ${r.precision?.toFixed(3)} R ${r.recall?.toFixed(3)} MRR ${r.mrr?.toFixed(3)} (${r.queries} q)`).join('; ')}\n`);
    await rag.close();
    await embedder.dispose();
  }
  const base = means.fp32!;
  for (const dtype of ['int8', 'q8'] as const) {
    const m = means[dtype]!;
    for (const metric of ['precision', 'recall', 'mrr'] as const) {
      const delta = m[metric] - base[metric];
      console.log(JSON.stringify({
        bench: `rag-tiers.quality_${dtype}_${metric}_at_3`,
        value: round(m[metric]),
        unit: `${metric}@3, query-weighted over collections (${queries.length} labelled queries, ${m.chunks} chunks)`,
        baseline: round(base[metric]),
        baseline_name: 'the same with fp32 weights',
        ratio: round(m[metric] / base[metric]),
        target: dtype === 'int8' ? 'within 0.02 of fp32' : 'reported',
        pass: dtype === 'int8' ? delta >= -0.02 : true,
      }));
    }
  }
}

benchWithChroma('web4-quality-', main);
