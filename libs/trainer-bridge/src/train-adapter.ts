import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { silentLogger, type Logger } from '@web4/core';
import type { BufferItem, TrainingSample } from './buffer-item.js';
import { buildTrainJob, type TrainJobFile } from './train-job.js';
import { locateTrainer, type TrainerSettings } from './trainer-location.js';
import { runTrainer, type TrainerResult } from './trainer-process.js';
import type { TrainerEvent } from './trainer-events.js';
import { buildTrainingSamples } from './training-samples.js';
import { defaultTrainingProgress, type TrainingProgress } from './training-progress.js';

export interface TrainAdapterOptions {
  /** Daily-buffer chunks; whole PDCAs become samples (buildTrainingSamples). */
  items?: readonly BufferItem[];
  /** Ready samples instead of `items` (tests, a curated data set). */
  samples?: readonly TrainingSample[];
  /** The new adapter's folder (e.g. outputs/web4_balanced_lora_20261125_020000); must not exist. */
  outputDir: string;
  /** Last production adapter to continue from; none starts a new LoRA. */
  parentAdapter?: string | undefined;
  settings: TrainerSettings;
  /** The shared cache (paths.cacheDir): where the embedded base model lives. */
  cacheDir: string;
  /** Where job.json and samples.jsonl are written; default `<outputDir>.job` beside the output. */
  workDir?: string;
  jobOverrides?: Partial<TrainJobFile>;
  signal?: AbortSignal;
  logger?: Logger;
  /** Default: a progress bar when stderr is a terminal. `null`: none. */
  progress?: TrainingProgress | null;
  onEvent?: (event: TrainerEvent) => void;
  /** Called with the trainer's pid once it runs (the loop records it to find a stray trainer after a crash). */
  onSpawn?: (pid: number) => void;
  repoRoot?: string;
}

export type TrainAdapterResult =
  | { status: 'skipped'; reason: string; samples: 0 }
  | {
      status: 'trained';
      samples: number;
      jobFile: string;
      samplesFile: string;
      result: TrainerResult;
      manifest: Record<string, unknown>;
    };

/**
 * The nightly training step: buffer items → samples.jsonl + job.json → the trainer → the new
 * adapter folder. With no samples it does nothing and says so.
 */
export async function trainAdapter(o: TrainAdapterOptions): Promise<TrainAdapterResult> {
  const logger = o.logger ?? silentLogger();
  const items = o.items ?? [];
  const samples = o.samples ? [...o.samples] : buildTrainingSamples(items, { capChars: o.settings.sampleCapChars });
  if (samples.length === 0) {
    const reason = o.samples ? 'no samples were given' : items.length === 0 ? 'the daily buffer is empty' : 'the buffer items hold no text';
    logger.info({ reason }, 'training skipped: no samples');
    return { status: 'skipped', reason, samples: 0 };
  }
  const where = locateTrainer(o.settings, o.cacheDir, o.repoRoot);
  const workDir = o.workDir ?? `${o.outputDir}.job`;
  mkdirSync(workDir, { recursive: true });
  mkdirSync(dirname(o.outputDir), { recursive: true });
  const samplesFile = join(workDir, 'samples.jsonl');
  writeSamples(samplesFile, samples);
  const job = buildTrainJob(o.settings, { baseModel: where.baseModel, samples: samplesFile, outputDir: o.outputDir, parentAdapter: o.parentAdapter }, o.jobOverrides);
  const jobFile = join(workDir, 'job.json');
  writeFileSync(jobFile, `${JSON.stringify(job, null, 2)}\n`);
  logger.info({ samples: samples.length, jobFile, outputDir: o.outputDir, parentAdapter: o.parentAdapter ?? null }, 'training adapter');

  const progress = o.progress === null ? undefined : (o.progress ?? defaultTrainingProgress());
  try {
    const result = await runTrainer({
      python: where.python,
      packageDir: where.packageDir,
      jobFile,
      timeoutMs: o.settings.timeoutS * 1000,
      allowHubDownload: o.settings.allowHubDownload,
      logger,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(progress ? { progress } : {}),
      ...(o.onEvent ? { onEvent: o.onEvent } : {}),
      ...(o.onSpawn ? { onSpawn: o.onSpawn } : {}),
    });
    const manifest = JSON.parse(readFileSync(result.done.manifest, 'utf8')) as Record<string, unknown>;
    return { status: 'trained', samples: samples.length, jobFile, samplesFile, result, manifest };
  } finally {
    removePartialOutputs(o.outputDir);
  }
}

export function writeSamples(file: string, samples: readonly TrainingSample[]): void {
  writeFileSync(file, samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
}

/**
 * A trainer killed hard (SIGKILL after the grace period) cannot remove its temporary folder;
 * the output folder itself is only ever created complete, by a rename.
 */
export function removePartialOutputs(outputDir: string): number {
  const parent = dirname(outputDir);
  const prefix = `.${basename(outputDir)}.partial-`;
  let removed = 0;
  let names: string[] = [];
  try {
    names = readdirSync(parent);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (name.startsWith(prefix)) {
      rmSync(join(parent, name), { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}
