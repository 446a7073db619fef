import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { StorageError, type StatePaths, type Web4Config } from '@web4/core';
import { EMBEDDING_MODEL_NAME, assetLayout } from '@web4/local-services';
import type { TextEmbedder, TokenCounter } from '../text-embedder.js';
import { EmbeddingPool } from './embedding-pool.js';
import { MiniLmEmbedder, type MiniLmEmbedderOptions } from './minilm-embedder.js';

const WEIGHTS = { fp32: 'model.onnx', int8: 'model_int8.onnx', q8: 'model_quantized.onnx' } as const;

/** Calls with at least this many texts go to the worker pool; fewer (a query) stay in process. */
export const POOL_MIN_TEXTS = 16;

/**
 * The configured model: small calls (queries, a few chunks) run in this process with all cores
 * on one inference, which is what latency needs; bulk calls (indexing) go to the worker pool,
 * which is what throughput needs. Both load the same weights, so their vectors are identical.
 */
export class Embedder implements TextEmbedder {
  constructor(
    readonly local: MiniLmEmbedder,
    readonly pool: EmbeddingPool | undefined,
  ) {}

  embed(texts: string[]): Promise<number[][]> {
    return this.pool && texts.length >= POOL_MIN_TEXTS ? this.pool.embed(texts) : this.local.embed(texts);
  }

  tokenCounter(): Promise<TokenCounter> {
    return this.local.tokenCounter();
  }

  async dispose(): Promise<void> {
    await Promise.all([this.local.dispose(), this.pool?.dispose()]);
  }
}

/** `auto`: one worker per core where there are two or more cores, else none. */
export function resolveWorkers(setting: 'auto' | number, cores = availableParallelism()): number {
  if (setting !== 'auto') return setting;
  return cores >= 2 ? cores : 0;
}

/**
 * The embedder the config asks for. With `models.embedding.source: local` (the default) the
 * folder built by tools/setup must exist; a missing one is reported with the command that
 * builds it, rather than as a bare onnxruntime error.
 */
export function createEmbedder(config: Pick<Web4Config, 'models'>, paths: Pick<StatePaths, 'cacheDir'>): Embedder {
  const e = config.models.embedding;
  const layout = assetLayout(paths.cacheDir);
  if (e.source === 'local') {
    const weights = join(layout.embeddingModelDir, 'onnx', WEIGHTS[e.dtype]);
    if (!existsSync(weights)) {
      throw new StorageError(`The local embedding model has no ${e.dtype} weights at ${weights}.`, {
        hint: e.dtype === 'q8'
          ? 'run `node tools/bootstrap.mjs`'
          : `run \`node tools/bootstrap.mjs\` (the ${e.dtype} export needs python/.venv), or set models.embedding.dtype to "q8"`,
      });
    }
  }
  const model: MiniLmEmbedderOptions = {
    source: e.source,
    hubId: e.hubId,
    localModelsRoot: layout.embeddingModelsRoot,
    modelName: EMBEDDING_MODEL_NAME,
    dtype: e.dtype,
    batchSize: e.batchSize,
  };
  const workers = resolveWorkers(e.workers);
  return new Embedder(new MiniLmEmbedder(model), workers > 0 ? new EmbeddingPool({ workers, model }) : undefined);
}
