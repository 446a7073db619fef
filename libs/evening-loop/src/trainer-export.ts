import { exportModel } from '@web4/trainer-bridge';
import type { EveningLoopOptions } from './night.js';

/** Re-create a version's merged model from its adapter (restoring a backup): the trainer's `export`. */
export async function exportMerged(o: EveningLoopOptions, adapterDir: string, outDir: string): Promise<void> {
  await exportModel({ settings: o.config.trainer, cacheDir: o.paths.cacheDir, adapterDir, outDir, ...(o.signal ? { signal: o.signal } : {}) });
}
