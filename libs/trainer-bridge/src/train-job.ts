import type { TrainerSettings } from './trainer-location.js';

/**
 * job.json as python/web4_trainer/job.py reads it (snake_case). Fields left out take the
 * trainer's own defaults; see job.py for each field's meaning.
 */
export interface TrainJobFile {
  base_model: string;
  samples: string;
  output_dir: string;
  parent_adapter?: string | null;
  lora_rank?: number;
  lora_alpha?: number;
  lora_dropout?: number;
  target_modules?: string[];
  epochs?: number;
  batch_size?: number;
  grad_accumulation?: number;
  learning_rate?: number;
  warmup_steps?: number;
  weight_decay?: number;
  max_grad_norm?: number;
  max_length?: number;
  seed?: number;
  padding?: 'longest' | 'max_length';
  sort_by_length?: boolean;
  /** How a step's samples go through the model: `packed` rows with attention kept inside each sample (trainer default `auto`: packed on CUDA, padded on the CPU). */
  micro_batching?: 'auto' | 'padded' | 'packed';
  /** Tokens per packed row (trainer default: 4096 on a GPU of >= 100 GiB, else 2048). */
  pack_tokens?: number | null;
  /** `model_dtype`: bf16 LoRA weights with fp32 masters in the optimizer (trainer default `auto`: on CUDA). */
  lora_compute?: 'auto' | 'fp32' | 'model_dtype';
  device?: 'auto' | 'cpu' | 'cuda';
  threads?: number | null;
  gradient_checkpointing?: boolean;
  memory_limit_mb?: number | null;
  serve_format?: 'auto' | 'gguf' | 'safetensors' | 'none';
  gguf_dtype?: 'f16' | 'f32';
  export_gguf_lora?: boolean;
  /** Optimizer steps the run makes at least: more epochs on a small night (trainer default 0: off). */
  min_steps?: number;
  /** Caps the epochs added for `min_steps`; never lowers `epochs` (trainer default 10). */
  max_epochs?: number;
  /** Free-form facts of the caller (run id, replay share, replayed PDCA ids …), copied verbatim into manifest.json as `job_metadata`. */
  metadata?: Record<string, unknown>;
}

/**
 * The job for one run from the `trainer` config section (its preset already applied); `overrides`
 * win (tests, benchmarks). With `warmup: new-adapter`, a run that continues an adapter does not
 * warm up again: the learning rate a night starts at is the one the adapter was trained with.
 */
export function buildTrainJob(
  settings: TrainerSettings,
  paths: { baseModel: string; samples: string; outputDir: string; parentAdapter?: string | undefined },
  overrides: Partial<TrainJobFile> = {},
): TrainJobFile {
  return {
    base_model: paths.baseModel,
    samples: paths.samples,
    output_dir: paths.outputDir,
    parent_adapter: paths.parentAdapter ?? null,
    lora_rank: settings.loraRank,
    lora_alpha: settings.loraAlpha,
    lora_dropout: settings.loraDropout,
    target_modules: settings.targetModules,
    epochs: settings.epochs,
    batch_size: settings.batchSize,
    grad_accumulation: settings.gradAccumulation,
    learning_rate: settings.learningRate,
    warmup_steps: settings.warmup === 'new-adapter' && paths.parentAdapter ? 0 : settings.warmupSteps,
    min_steps: settings.minSteps,
    max_epochs: settings.maxEpochs,
    max_length: settings.maxLength,
    device: settings.device,
    ...(settings.threads ? { threads: settings.threads } : {}),
    // The GGUF LoRA is only needed when it is what gets served; the merged model always is written.
    export_gguf_lora: settings.serveMode === 'gguf-lora',
    ...overrides,
  };
}
