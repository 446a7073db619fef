import { join } from 'node:path';
import type { StatePaths } from '@web4/core';

/**
 * Where prepared assets live. Everything here is under the cache dir (config `paths.cacheDir`,
 * default ~/.cache/web4), shared by every clone and state root of this user, so that a new
 * checkout or a test run does not fetch or build them again.
 */
export interface AssetLayout {
  cacheDir: string;
  /** Registry files as downloaded (wheels, debs, sdists), kept by exact file name. */
  downloadsDir: string;
  /** `<ollamaRoot>/<version>/ollama` + manifest.json (sha256 recorded at build time). */
  ollamaRoot: string;
  /** SmolLM2 GGUF, extracted from its wheel. */
  baseGguf: string;
  /** transformers.js model folders live under here (`env.localModelPath`). */
  embeddingModelsRoot: string;
  /** The all-MiniLM-L6-v2 folder: transformers.js files + the sentence-transformers files. */
  embeddingModelDir: string;
  /** OLLAMA_MODELS of the Ollama the test suite starts: web4-base is imported once, reused by every run. */
  testOllamaModels: string;
}

export const EMBEDDING_MODEL_NAME = 'all-MiniLM-L6-v2';

export function assetLayout(cacheDir: string): AssetLayout {
  return {
    cacheDir,
    downloadsDir: join(cacheDir, 'downloads'),
    ollamaRoot: join(cacheDir, 'ollama'),
    baseGguf: join(cacheDir, 'models', 'SmolLM2-135M-Instruct.Q4_1.gguf'),
    embeddingModelsRoot: join(cacheDir, 'models', 'transformers'),
    embeddingModelDir: join(cacheDir, 'models', 'transformers', EMBEDDING_MODEL_NAME),
    testOllamaModels: join(cacheDir, 'test-ollama-models'),
  };
}

export function assetLayoutFor(paths: Pick<StatePaths, 'cacheDir'>): AssetLayout {
  return assetLayout(paths.cacheDir);
}
