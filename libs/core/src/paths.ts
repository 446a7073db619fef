import { mkdirSync } from 'node:fs';
import type { Web4Config } from './config/schema.js';
import { resolveStatePath } from './config/load.js';

/** Absolute paths of the runtime state, resolved from the config. */
export interface StatePaths {
  root: string;
  logsDir: string;
  metricsDb: string;
  feedbackDb: string;
  outputsDir: string;
  backupsDir: string;
  modelsDir: string;
  chromaDir: string;
  servicesDir: string;
  cacheDir: string;
}

export function resolvePaths(config: Web4Config): StatePaths {
  const p = config.paths;
  return {
    root: config.stateRoot,
    logsDir: resolveStatePath(config, p.logsDir),
    metricsDb: resolveStatePath(config, p.metricsDb),
    feedbackDb: resolveStatePath(config, p.feedbackDb),
    outputsDir: resolveStatePath(config, p.outputsDir),
    backupsDir: resolveStatePath(config, p.backupsDir),
    modelsDir: resolveStatePath(config, p.modelsDir),
    chromaDir: resolveStatePath(config, p.chromaDir),
    servicesDir: resolveStatePath(config, p.servicesDir),
    cacheDir: resolveStatePath(config, p.cacheDir),
  };
}

/** mkdir -p that returns the directory. */
export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}
