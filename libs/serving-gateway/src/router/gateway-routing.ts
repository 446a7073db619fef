import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveStatePath, silentLogger, type Logger, type StatePaths, type Web4Config } from '@web4/core';
import { createEmbedder, openRag, QueryEmbeddingCache, type RagStack, type TextEmbedder } from '@web4/rag-tiers';
import { RagContextRetriever } from '../retrieval.js';
import type { ContextRetriever, QueryRouter } from '../types.js';
import { EmbeddingRouter } from './embedding-router.js';
import { FixedRouter } from './rule-routers.js';
import { loadRoutingExamples, splitExamples, type RoutingExampleSet } from './routing-examples.js';

export interface GatewayRouting {
  router: QueryRouter;
  retriever: ContextRetriever;
  /** Closes the retrieval tiers and the embedding model (the retriever's close() does the same; either may be called, once is enough). */
  close(): Promise<void>;
}

export interface CreateGatewayRoutingOptions {
  config: Web4Config;
  paths: StatePaths;
  logger?: Logger;
  /** Override this root's Chroma URL (tests, benchmarks). */
  chromaUrl?: string;
  /** The embedding model; default the configured one (its owner closes it when given). */
  embedder?: TextEmbedder;
}

/**
 * The gateway's router and retriever from the config: `gateway.routing.mode` router (trained on
 * the examples' training part, as measured), always or never; a retriever over this root's tiers.
 * The router's query vector and the retriever's are one embedding: both go through one query cache.
 */
export async function createGatewayRouting(options: CreateGatewayRoutingOptions): Promise<GatewayRouting> {
  const { config, paths } = options;
  const logger = options.logger ?? silentLogger();
  const routing = config.gateway.routing;
  const model = options.embedder ? undefined : createEmbedder(config, paths);
  const raw: TextEmbedder = options.embedder ?? model!;
  const queries = new QueryEmbeddingCache(raw);
  let rag: RagStack | undefined;
  try {
    let router: QueryRouter;
    if (routing.mode === 'router') {
      const file = resolveStatePath(config, routing.examples);
      const set = loadRoutingExamples(file);
      const { train } = splitExamples(set.examples, routing.holdoutShare);
      const started = performance.now();
      // Bulk embedding goes through the model itself, never through the query cache.
      const vectors = await exampleVectors(set, train, model?.local ?? raw, paths.cacheDir, modelKey(config), logger);
      const trained = await EmbeddingRouter.train(train, queries, { allowedTiers: routing.tiers, vectors });
      const fitted = trained.fitted;
      router = trained;
      logger.info({ file, examples: train.length, threshold: fitted.threshold, tierThreshold: fitted.tierThreshold, cvAccuracy: fitted.cvAccuracy, ms: Math.round(performance.now() - started) }, 'routing: router trained');
    } else {
      router = new FixedRouter(routing.mode, routing.tiers);
    }
    // Load the model now (its first inference costs hundreds of ms), not on the first question;
    // the example vectors may have come from the disk cache without it.
    if (routing.mode !== 'never') await raw.embed(['warm-up']);
    rag = openRag(config, { embedder: queries, logger, mirrorVectors: routing.mode !== 'never', ...(options.chromaUrl ? { chromaUrl: options.chromaUrl } : {}) });
    // The first questions come from memory too (a failed load leaves Chroma answering; it does not stop the gateway).
    await rag.chroma.vectorMirror?.ready();
    const mirror = rag.chroma.vectorMirror?.snapshotStats();
    if (mirror) logger.info({ collections: mirror.mirrored, vectors: mirror.vectors, onChroma: mirror.overBudget, error: mirror.lastError }, 'retrieval: vector mirror loaded');
    const stack = rag;
    let closed: Promise<void> | undefined;
    // Once, whoever calls it first: the gateway closes its retriever, the caller may close this too.
    const close = () =>
      (closed ??= (async () => {
        await stack.close();
        await model?.dispose();
      })());
    return { router, retriever: new RagContextRetriever(stack.retriever, config.serving, close), close };
  } catch (error) {
    await rag?.close();
    await model?.dispose();
    throw error;
  }
}

function modelKey(config: Web4Config): string {
  const e = config.models.embedding;
  return `${e.source === 'hub' ? e.hubId : 'all-MiniLM-L6-v2'}-${e.dtype}`.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/**
 * The training examples' vectors: from `<cacheDir>/routing/<file hash>-<model>.json` when the
 * file and the model are the ones embedded last time, else embedded now and written there.
 */
export async function exampleVectors(
  set: RoutingExampleSet,
  examples: RoutingExampleSet['examples'],
  embedder: TextEmbedder,
  cacheDir: string,
  model: string,
  logger: Logger = silentLogger(),
): Promise<number[][]> {
  const dir = join(cacheDir, 'routing');
  const file = join(dir, `${set.hash.slice(0, 24)}-${model}.json`);
  try {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as { vectors: Record<string, number[]> };
    const vectors = examples.map((e) => cached.vectors[e.query]);
    if (vectors.every((v): v is number[] => Array.isArray(v))) return vectors;
  } catch {
    // No cache yet, or an unreadable one: embed again.
  }
  const vectors = await embedder.embed(examples.map((e) => e.query));
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ file: set.file, hash: set.hash, model, vectors: Object.fromEntries(examples.map((e, i) => [e.query, vectors[i]])) }));
    renameSync(tmp, file);
  } catch (error) {
    logger.warn({ err: error, file }, 'routing: could not cache the example vectors (they are embedded again next start)');
  }
  return vectors;
}
