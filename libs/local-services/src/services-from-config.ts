import { join } from 'node:path';
import { DEFAULT_SERVICE_PORTS, type StatePaths, type Web4Config } from '@web4/core';
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
 * versions), and its binary comes from PATH or the shared cache. A server is used only when it
 * is configured (URL or explicit port) or this root's own (pid file under `logs/services/`).
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
      defaultPort: DEFAULT_SERVICE_PORTS.chroma,
      servicesDir: paths.servicesDir,
      dataDir: paths.chromaDir,
      startTimeoutS: s.startTimeoutS,
    }),
    ollama: new LocalService({
      name: 'ollama',
      ...(s.ollama.url ? { url: s.ollama.url } : {}),
      host: s.ollama.host,
      port: s.ollama.port,
      defaultPort: DEFAULT_SERVICE_PORTS.ollama,
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

/**
 * The one answer to "where is this state root's Chroma / Ollama" for code that does not manage
 * services (the retrieval stack, the registry): the configured URL, our running server (its
 * record under logs/services/), or the explicitly configured port; undefined when this root has
 * none running.
 */
export function serviceUrl(config: Web4Config, paths: StatePaths, name: 'chroma' | 'ollama'): string | undefined {
  return servicesFromConfig(config, paths)[name].knownUrl();
}
