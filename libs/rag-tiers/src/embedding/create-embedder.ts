import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { StorageError, type StatePaths, type Web4Config } from '@web4/core';
import { EMBEDDING_MODEL_NAME, assetLayout } from '@web4/local-services';
import { MiniLmEmbedder } from './minilm-embedder.js';

/**
 * The embedder the config asks for. With `models.embedding.source: local` (the default) the
 * folder built by tools/setup must exist; a missing one is reported with the command that
 * builds it, rather than as a bare onnxruntime error.
 */
export function createEmbedder(config: Pick<Web4Config, 'models'>, paths: Pick<StatePaths, 'cacheDir'>): MiniLmEmbedder {
  const e = config.models.embedding;
  const layout = assetLayout(paths.cacheDir);
  if (e.source === 'local') {
    const weights = join(layout.embeddingModelDir, 'onnx', e.dtype === 'q8' ? 'model_quantized.onnx' : 'model.onnx');
    if (!existsSync(weights)) {
      throw new StorageError(`The local embedding model has no ${e.dtype} weights at ${weights}.`, {
        hint: e.dtype === 'fp32'
          ? 'run `node tools/bootstrap.mjs` (the fp32 export needs python/.venv), or set models.embedding.dtype to "q8"'
          : 'run `node tools/bootstrap.mjs`',
      });
    }
  }
  return new MiniLmEmbedder({
    source: e.source,
    hubId: e.hubId,
    localModelsRoot: layout.embeddingModelsRoot,
    modelName: EMBEDDING_MODEL_NAME,
    dtype: e.dtype,
    batchSize: e.batchSize,
  });
}
