// A project outside this repository that uses the published libraries (tools/packages.int.test.ts
// copies this file into a temporary folder, installs @web4/* from a local registry, compiles it
// with tsc and runs it with plain node). It logs queries, reads the monitoring report, and
// retrieves from a Chroma collection with the embedding model of the config, then prints one
// JSON line with what it saw.
//   node dist/main.js <state root> <chroma url>
import { loadConfig, resolvePaths } from '@web4/core';
import { MetricsStore, QueryLogger, buildMonitoringReport, newQueryId } from '@web4/metrics-store';
import { POOL_MIN_TEXTS, createEmbedder, openRag, type ChunkRecord } from '@web4/rag-tiers';

const [root, chromaUrl] = process.argv.slice(2);
if (!root || !chromaUrl) throw new Error('usage: node dist/main.js <state root> <chroma url>');

const { config } = loadConfig({ root, overrides: { services: { chroma: { url: chromaUrl } }, rag: { chromaDatabase: `consumer_${process.pid}` } } });
const paths = resolvePaths(config);

// Retrieval: index a few PDCA chunks (enough for the embedding worker pool), then ask.
const embedder = createEmbedder(config, paths);
const rag = openRag(config, { embedder });
const topics = ['the chunker looped on empty sections', 'rollback restored the previous adapter', 'the gateway logged every query'];
const texts = Array.from({ length: POOL_MIN_TEXTS + 2 }, (_, i) => `PDCA ${i}: ${topics[i % topics.length]} (day ${i + 1})`);
const vectors = await embedder.embed(texts); // ≥ POOL_MIN_TEXTS: the worker processes embed them
const chunks: ChunkRecord[] = texts.map((document, i) => ({
  id: `pdca-${i}#0`,
  embedding: vectors[i]!,
  document,
  metadata: { doc_id: `pdca-${i}`, pdca_id: `pdca-${i}`, chunk_index: 0, date: '2026-11-20', date_num: 20261120 },
}));
await rag.chroma.ensureDatabase();
await rag.chroma.upsert('pdca_historical', chunks);

const logger = QueryLogger.open(paths.metricsDb, { batchSize: config.monitoring.batchSize, flushIntervalMs: config.monitoring.flushIntervalMs });
const question = 'why did the chunker loop?';
const started = performance.now();
const found = await rag.retriever.retrieve(question, { tiers: ['chroma'], collections: ['pdca_historical'], nResults: 3 });
logger.log({
  queryId: newQueryId(),
  queryType: 'debugging',
  latencyMs: performance.now() - started,
  usedHistory: found.tiersUsed.includes('chroma'),
  tokensGenerated: 42,
});
logger.log({ queryType: 'code_generation', latencyMs: 12.5, usedTools: true, tokensGenerated: 100 });
logger.close();

const store = MetricsStore.open(paths.metricsDb);
const report = await buildMonitoringReport({ store, targets: config.monitoring.targets, now: new Date(), days: 1 });
store.close();
await rag.chroma.dropAll(); // this database's collections (the server is the test's own)
await rag.close();
await embedder.dispose();

console.log(
  JSON.stringify({
    embeddedByPool: embedder.pool !== undefined,
    dimensions: vectors[0]?.length,
    top: found.results.map((r) => r.text),
    tiersUsed: found.tiersUsed,
    queries: report.statistics.total.queries,
    verdict: report.verdict,
  }),
);
