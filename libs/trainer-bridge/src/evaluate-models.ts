import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { silentLogger, type Logger } from '@web4/core';
import type { TrainingSample } from './buffer-item.js';
import { writeSamples } from './train-adapter.js';
import { parseEvaluatorEvent, type EvalDoneEvent, type EvalEvent, type EvalResult, type EvalStartEvent, type EvaluatorEvent } from './trainer-events.js';
import { locateTrainer, modelArgument, type TrainerSettings } from './trainer-location.js';
import { runTrainerCommand, type TrainerCommandOptions } from './trainer-process.js';

/**
 * One model of an evaluation: the base itself (no `adapter`, or `adapter: null`), the base with
 * a PEFT adapter folder applied, or a whole model (a merged export: folder or `.gguf`) that
 * replaces the base. Names are unique; they key the results.
 */
export type EvalModelSpec = ({ name: string; adapter?: string | null; model?: undefined } | { name: string; model: string; adapter?: undefined }) & {
  /** Score this model on these sets only (default: every set), e.g. the base on the next day's documents. */
  sets?: readonly string[];
};

/** eval.json as python/web4_trainer/job.py (EvalJob) reads it. */
export interface EvalJobFile {
  base_model: string;
  models: Array<{ name: string; adapter?: string | null; model?: string | null; sets?: string[] }>;
  sets: Array<{ name: string; samples: string }>;
  max_length?: number;
  device?: 'auto' | 'cpu' | 'cuda';
  threads?: number | null;
  batch_tokens?: number;
  seed?: number;
}

export interface EvaluateInvocation extends TrainerCommandOptions {
  jobFile: string;
  onEvent?: (event: EvaluatorEvent) => void;
}

export interface EvaluateResult {
  start: EvalStartEvent | undefined;
  /** One per (model, set), in the job's order. */
  evals: EvalEvent[];
  done: EvalDoneEvent;
  events: EvaluatorEvent[];
}

/**
 * Run `python -m web4_trainer evaluate --job FILE` (spawned like `runTrainer`: an argument
 * array, HF_HUB_OFFLINE=1, killed on timeout, abort or exit of this process) and resolve with
 * its results, or reject with the TrainerError that matches the failure (a bad job, a missing
 * sample file or an adapter that does not fit the base: `TrainerInputError`).
 */
export async function runEvaluate(inv: EvaluateInvocation): Promise<EvaluateResult> {
  const logger = inv.logger ?? silentLogger();
  let start: EvalStartEvent | undefined;
  const evals: EvalEvent[] = [];
  const { done, events } = await runTrainerCommand<EvaluatorEvent>(inv, {
    args: ['evaluate', '--job', inv.jobFile],
    activity: 'evaluation',
    consequence: 'nothing was measured',
    parse: parseEvaluatorEvent,
    observe: (event) => {
      if (event.event === 'start') {
        start = event;
        logger.info({ models: event.models, sets: event.sets, device: event.device, dtype: event.dtype }, 'evaluation started');
      } else if (event.event === 'eval') {
        evals.push(event);
        logger.info({ model: event.model, set: event.set, loss: event.loss, tokens: event.tokens, samples: event.samples, runtimeS: event.runtime_s }, 'evaluated');
      } else if (event.event === 'done') {
        logger.info({ runtimeS: event.runtime_s }, 'evaluation done');
      }
    },
    ...(inv.onEvent ? { onEvent: inv.onEvent } : {}),
  });
  return { start, evals, done, events };
}

export interface EvaluateModelsOptions {
  settings: TrainerSettings;
  /** The shared cache (paths.cacheDir): where the embedded base model lives. */
  cacheDir: string;
  /** The base model; default: the trainer's (`locateTrainer(settings, cacheDir).baseModel`), as trainAdapter uses. */
  base?: string;
  models: readonly EvalModelSpec[];
  /** Sample sets; an empty one is allowed (its loss is null, tokens 0). Names are unique. */
  sets: ReadonlyArray<{ name: string; samples: readonly TrainingSample[] }>;
  /** Where the sets' `.jsonl` files and eval.json are written (created). */
  workDir: string;
  /** Default `settings.maxLength`: keep it equal to training's, so the losses compare. */
  maxLength?: number;
  /** Tokens per batch, padding included (trainer default 8192). */
  batchTokens?: number;
  /** Default `settings.device`. */
  device?: 'auto' | 'cpu' | 'cuda';
  threads?: number;
  /** Default `settings.timeoutS`. */
  timeoutMs?: number;
  signal?: AbortSignal;
  logger?: Logger;
  onEvent?: (event: EvaluatorEvent) => void;
  onSpawn?: (pid: number) => void;
  repoRoot?: string;
}

export interface EvaluateModelsResult {
  /** model name → set name → `{ loss, tokens, samples }` (loss null for an empty set). */
  results: Record<string, Record<string, EvalResult>>;
  runtimeS: number;
  jobFile: string;
}

/**
 * The loss gate's measurement: writes each set as `<workDir>/set-<i>.jsonl` and `eval.json`,
 * runs the trainer's `evaluate`, and returns the token-weighted loss of every model on every
 * set (answer tokens only, tokenized as training tokenizes).
 */
export async function evaluateModels(o: EvaluateModelsOptions): Promise<EvaluateModelsResult> {
  const where = locateTrainer(o.settings, o.cacheDir, o.repoRoot);
  const workDir = resolve(o.workDir);
  mkdirSync(workDir, { recursive: true });
  const sets = o.sets.map((s, i) => {
    const file = join(workDir, `set-${i}.jsonl`);
    if (s.samples.length) writeSamples(file, s.samples);
    else writeFileSync(file, '');
    return { name: s.name, samples: file };
  });
  const job: EvalJobFile = {
    base_model: o.base ? modelArgument(o.base) : where.baseModel,
    models: o.models.map((m) => ({
      ...(m.model !== undefined ? { name: m.name, model: modelArgument(m.model) } : { name: m.name, adapter: m.adapter ? resolve(m.adapter) : null }),
      ...(m.sets ? { sets: [...m.sets] } : {}),
    })),
    sets,
    max_length: o.maxLength ?? o.settings.maxLength,
    device: o.device ?? o.settings.device,
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    ...(o.batchTokens !== undefined ? { batch_tokens: o.batchTokens } : {}),
  };
  const jobFile = join(workDir, 'eval.json');
  writeFileSync(jobFile, `${JSON.stringify(job, null, 2)}\n`);
  const r = await runEvaluate({
    python: where.python,
    packageDir: where.packageDir,
    jobFile,
    timeoutMs: o.timeoutMs ?? o.settings.timeoutS * 1000,
    allowHubDownload: o.settings.allowHubDownload,
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onEvent ? { onEvent: o.onEvent } : {}),
    ...(o.onSpawn ? { onSpawn: o.onSpawn } : {}),
  });
  return { results: r.done.results, runtimeS: r.done.runtime_s, jobFile };
}
