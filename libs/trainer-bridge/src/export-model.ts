import { resolve } from 'node:path';
import { silentLogger } from '@web4/core';
import { removePartialOutputs } from './train-adapter.js';
import { parseExporterEvent, type ExportDoneEvent, type ExporterEvent, type ExportStartEvent } from './trainer-events.js';
import { locateTrainer, modelArgument, type TrainerSettings } from './trainer-location.js';
import { runTrainerCommand, type TrainerCommandOptions } from './trainer-process.js';

export type ServeFormat = 'auto' | 'gguf' | 'safetensors';

export interface ExportInvocation extends TrainerCommandOptions {
  /** A PEFT adapter folder (e.g. a backup's `adapter/`). */
  adapterDir: string;
  /** The base it was trained on: a `.gguf` file or a Hugging Face folder. */
  baseModel: string;
  /** The servable model's folder; must not exist or be empty. */
  outDir: string;
  /** `auto` (default): `gguf` for a `.gguf` base, else `safetensors` — as training writes `model/`. */
  serveFormat?: ServeFormat;
  ggufDtype?: 'f16' | 'f32';
  /** Where the merge runs; default `auto` (CUDA with bf16 when present, else CPU with fp32). */
  device?: 'auto' | 'cpu' | 'cuda';
  onEvent?: (event: ExporterEvent) => void;
}

export interface ExportResult {
  start: ExportStartEvent | undefined;
  /** `model_dir`, `model_format`, `bytes`, `merge_s`, `runtime_s`. */
  done: ExportDoneEvent;
  events: ExporterEvent[];
}

/**
 * Run `python -m web4_trainer export --adapter … --base … --out …` (spawned like `runTrainer`)
 * and resolve with its `done` event. The trainer writes into a hidden `.NAME.partial-PID`
 * sibling and renames it when complete; one left by a trainer killed hard is removed here.
 */
export async function runExport(inv: ExportInvocation): Promise<ExportResult> {
  const logger = inv.logger ?? silentLogger();
  const outDir = resolve(inv.outDir);
  let start: ExportStartEvent | undefined;
  try {
    const { done, events } = await runTrainerCommand<ExporterEvent>(inv, {
      args: [
        'export',
        '--adapter',
        resolve(inv.adapterDir),
        '--base',
        inv.baseModel,
        '--out',
        outDir,
        '--serve-format',
        inv.serveFormat ?? 'auto',
        '--gguf-dtype',
        inv.ggufDtype ?? 'f16',
        '--device',
        inv.device ?? 'auto',
      ],
      activity: 'export',
      parse: parseExporterEvent,
      observe: (event) => {
        if (event.event === 'start') {
          start = event;
          logger.info({ adapter: event.adapter, base: event.base_model, out: event.out, format: event.serve_format, device: event.device }, 'export started');
        } else if (event.event === 'done') {
          logger.info({ modelDir: event.model_dir, format: event.model_format, bytes: event.bytes, runtimeS: event.runtime_s }, 'export done');
        }
      },
      ...(inv.onEvent ? { onEvent: inv.onEvent } : {}),
    });
    return { start, done, events };
  } finally {
    removePartialOutputs(outDir);
  }
}

export interface ExportModelOptions extends Omit<ExportInvocation, 'python' | 'packageDir' | 'baseModel' | 'timeoutMs' | 'allowHubDownload'> {
  settings: TrainerSettings;
  /** The shared cache (paths.cacheDir): where the embedded base model lives. */
  cacheDir: string;
  /** The base model; default: the trainer's (`locateTrainer(settings, cacheDir).baseModel`), as trainAdapter uses. */
  base?: string;
  /** Default `settings.timeoutS`. */
  timeoutMs?: number;
  repoRoot?: string;
}

/**
 * Merge an adapter into the configured base and write the servable model into `outDir`,
 * exactly as a training run writes its `model/` folder: used to restore a backup that keeps
 * only `adapter/` + manifest. Python, package and base come from the `trainer` settings.
 */
export function exportModel(o: ExportModelOptions): Promise<ExportResult> {
  const { settings, cacheDir, base, timeoutMs, repoRoot, ...rest } = o;
  const where = locateTrainer(settings, cacheDir, repoRoot);
  return runExport({
    ...rest,
    python: where.python,
    packageDir: where.packageDir,
    baseModel: base ? modelArgument(base) : where.baseModel,
    timeoutMs: timeoutMs ?? settings.timeoutS * 1000,
    allowHubDownload: settings.allowHubDownload,
  });
}
