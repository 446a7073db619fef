import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, resolvePaths } from '@web4/core';
import type { TrainingSample } from '../buffer-item.js';
import { locateTrainer, type TrainerSettings } from '../trainer-location.js';

/**
 * The real trainer (python/.venv, or WEB4_TRAINER__PYTHON) on a tiny random llama that the
 * trainer itself writes (`make-tiny-model`): a full run takes seconds, nothing is downloaded.
 */
export function tinyTrainerSetup(): { settings: TrainerSettings; cacheDir: string; root: string; python: string; packageDir: string } {
  const { config } = loadConfig({ env: process.env });
  const cacheDir = resolvePaths(config).cacheDir;
  const where = locateTrainer(config.trainer, cacheDir);
  if (where.python.includes('/') && !existsSync(where.python)) {
    throw new Error(`trainer python ${where.python} is missing: run \`node tools/setup\` or set WEB4_TRAINER__PYTHON`);
  }
  const root = mkdtempSync(join(tmpdir(), 'web4 trainer $(touch pwned) `x` '));
  const model = join(root, 'tiny model');
  execFileSync(where.python, ['-m', 'web4_trainer', 'make-tiny-model', model], {
    env: { ...process.env, PYTHONPATH: where.packageDir, HF_HUB_OFFLINE: '1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return {
    settings: { ...config.trainer, baseModel: model, sampleCapChars: 2000, timeoutS: 600 },
    cacheDir,
    root,
    python: where.python,
    packageDir: where.packageDir,
  };
}

export function commitSamples(n: number): TrainingSample[] {
  return Array.from({ length: n }, (_, i) => ({
    instruction: `Write the commit message for this change: change number ${i}.`,
    input: '',
    output: `ZORBLAX-7: change number ${i}`,
    metadata: { i },
  }));
}

/** Fast settings for the tiny model. */
export const TINY_JOB = { epochs: 2, batch_size: 2, grad_accumulation: 1, learning_rate: 0.01, warmup_steps: 0, min_steps: 0, threads: 1 } as const;

/** A trained tiny adapter (+ its merged `model/`) in `<root>/<name>`, and the samples it learned. */
export async function trainTinyAdapter(setup: ReturnType<typeof tinyTrainerSetup>, name: string): Promise<{ outputDir: string; samples: TrainingSample[] }> {
  const { trainAdapter } = await import('../train-adapter.js');
  const samples = commitSamples(6);
  const outputDir = join(setup.root, name, 'web4_balanced_lora_x');
  const r = await trainAdapter({ samples, outputDir, settings: setup.settings, cacheDir: setup.cacheDir, jobOverrides: { ...TINY_JOB, epochs: 4, learning_rate: 0.03, export_gguf_lora: false }, progress: null });
  if (r.status !== 'trained') throw new Error('the tiny adapter was not trained');
  return { outputDir, samples };
}
