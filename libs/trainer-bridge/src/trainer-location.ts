import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Web4Config } from '@web4/core';
import { assetLayout, repoRoot } from '@web4/local-services';

export type TrainerSettings = Web4Config['trainer'];

export interface TrainerLocation {
  python: string;
  packageDir: string;
  baseModel: string;
}

/**
 * Absolute paths of the trainer: Python and package dir relative to the repository root
 * (a bare command such as `python3` stays as it is), and the base model — the configured one,
 * or the embedded SmolLM2 GGUF that tools/setup puts into the cache.
 */
export function locateTrainer(settings: TrainerSettings, cacheDir: string, root: string = repoRoot()): TrainerLocation {
  const fromRoot = (p: string) => (isAbsolute(p) ? p : resolve(root, p));
  const python = settings.python.includes('/') ? fromRoot(settings.python) : settings.python;
  return {
    python,
    packageDir: fromRoot(settings.packageDir),
    baseModel: settings.baseModel ? fromRoot(settings.baseModel) : assetLayout(cacheDir).baseGguf,
  };
}

/**
 * A model given by the caller: a path (absolute, existing relative to the working directory, or
 * a `.gguf` file) becomes absolute; anything else is a hub id and stays as it is.
 */
export function modelArgument(p: string): string {
  return isAbsolute(p) || p.toLowerCase().endsWith('.gguf') || existsSync(resolve(p)) ? resolve(p) : p;
}
