import { join } from 'node:path';
import type { StatePaths, Web4Config } from '@web4/core';
import { assetLayout } from './asset-layout.js';
import { LocalService } from './local-service.js';
import { ensureOllamaBinary } from './ollama-binary.js';

export interface ConfiguredServices {
  chroma: LocalService;
  ollama: LocalService;
}

/**
 * The services of one state root: Chroma keeps its data in `<root>/chroma`, the Ollama we start
 * keeps its models in `<root>/models/ollama` (so each state root has its own web4-agent
 * versions), and its binary comes from PATH or the shared cache.
 */
export function servicesFromConfig(
  config: Web4Config,
  paths: StatePaths,
  options: { onBuildLine?: (line: string) => void; onRebuild?: (reason: string) => void } = {},
): ConfiguredServices {
  const s = config.services;
  const layout = assetLayout(paths.cacheDir);
  return {
    chroma: new LocalService({
      name: 'chroma',
      ...(s.chroma.url ? { url: s.chroma.url } : {}),
      host: s.chroma.host,
      port: s.chroma.port,
      servicesDir: paths.servicesDir,
      dataDir: paths.chromaDir,
      startTimeoutS: s.startTimeoutS,
    }),
    ollama: new LocalService({
      name: 'ollama',
      ...(s.ollama.url ? { url: s.ollama.url } : {}),
      host: s.ollama.host,
      port: s.ollama.port,
      servicesDir: paths.servicesDir,
      dataDir: join(paths.modelsDir, 'ollama'),
      startTimeoutS: s.startTimeoutS,
      binary: async () =>
        (await ensureOllamaBinary(layout, s.ollama.version, {
          ...(options.onBuildLine ? { onLine: options.onBuildLine } : {}),
          ...(options.onRebuild ? { onRebuild: options.onRebuild } : {}),
        })).path,
    }),
  };
}
