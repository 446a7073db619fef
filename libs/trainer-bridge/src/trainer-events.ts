import { z } from 'zod';

/** The trainer's stdout protocol (python/web4_trainer/events.py), one JSON object per line. */
export const startEventSchema = z
  .object({
    event: z.literal('start'),
    samples: z.number(),
    steps: z.number(),
    device: z.string(),
    dtype: z.string(),
    tokens: z.number().optional(),
    epochs: z.number().optional(),
  })
  .passthrough();

export const progressEventSchema = z
  .object({
    event: z.literal('progress'),
    step: z.number(),
    total: z.number(),
    loss: z.number().nullable(),
    tokens_per_s: z.number(),
    eta_s: z.number(),
  })
  .passthrough();

export const doneEventSchema = z
  .object({
    event: z.literal('done'),
    output_dir: z.string(),
    adapter_dir: z.string(),
    model_dir: z.string().nullable(),
    model_format: z.enum(['gguf', 'safetensors']).nullable(),
    adapter_gguf: z.string().nullable(),
    manifest: z.string(),
    loss: z.number().nullable(),
    first_loss: z.number().nullable(),
    last_loss: z.number().nullable(),
    steps: z.number(),
    tokens_trained: z.number(),
    tokens_per_s: z.number(),
    runtime_s: z.number(),
  })
  .passthrough();

export const errorEventSchema = z
  .object({
    event: z.literal('error'),
    kind: z.string(),
    message: z.string(),
    hint: z.string().nullable().optional(),
    exit_code: z.number().optional(),
  })
  .passthrough();

export const trainerEventSchema = z.discriminatedUnion('event', [startEventSchema, progressEventSchema, doneEventSchema, errorEventSchema]);

export type StartEvent = z.infer<typeof startEventSchema>;
export type ProgressEvent = z.infer<typeof progressEventSchema>;
export type DoneEvent = z.infer<typeof doneEventSchema>;
export type ErrorEvent = z.infer<typeof errorEventSchema>;
export type TrainerEvent = z.infer<typeof trainerEventSchema>;

// --- `python -m web4_trainer evaluate` (python/web4_trainer/evaluate.py) -------------------

/** The loss of one model on one sample set; `loss` is null for an empty set. */
export const evalResultSchema = z.object({
  loss: z.number().nullable(),
  /** Answer tokens scored: the loss's denominator (0 for an empty set). */
  tokens: z.number(),
  samples: z.number(),
});

export const evalStartEventSchema = z
  .object({
    event: z.literal('start'),
    models: z.array(z.string()),
    sets: z.array(z.string()),
    device: z.string(),
    dtype: z.string(),
    set_samples: z.record(z.string(), z.number()).optional(),
    set_tokens: z.record(z.string(), z.number()).optional(),
    load_s: z.number().optional(),
  })
  .passthrough();

/** One per (model, set), in the job's order. */
export const evalEventSchema = z
  .object({
    event: z.literal('eval'),
    model: z.string(),
    set: z.string(),
    loss: z.number().nullable(),
    tokens: z.number(),
    samples: z.number(),
    /** Every token read (prompt and answer, not padding) per second. */
    tokens_per_s: z.number(),
    runtime_s: z.number(),
  })
  .passthrough();

export const evalDoneEventSchema = z
  .object({
    event: z.literal('done'),
    /** model name → set name → result. */
    results: z.record(z.string(), z.record(z.string(), evalResultSchema)),
    runtime_s: z.number(),
  })
  .passthrough();

export const evaluatorEventSchema = z.discriminatedUnion('event', [evalStartEventSchema, evalEventSchema, evalDoneEventSchema, errorEventSchema]);

export type EvalResult = z.infer<typeof evalResultSchema>;
export type EvalStartEvent = z.infer<typeof evalStartEventSchema>;
export type EvalEvent = z.infer<typeof evalEventSchema>;
export type EvalDoneEvent = z.infer<typeof evalDoneEventSchema>;
export type EvaluatorEvent = z.infer<typeof evaluatorEventSchema>;

// --- `python -m web4_trainer export` (python/web4_trainer/export.py) ------------------------

export const exportStartEventSchema = z
  .object({
    event: z.literal('start'),
    adapter: z.string(),
    base_model: z.string(),
    out: z.string(),
    serve_format: z.enum(['gguf', 'safetensors']),
    device: z.string(),
    dtype: z.string(),
  })
  .passthrough();

export const exportDoneEventSchema = z
  .object({
    event: z.literal('done'),
    model_dir: z.string(),
    model_format: z.enum(['gguf', 'safetensors']),
    bytes: z.number(),
    merge_s: z.number().optional(),
    runtime_s: z.number(),
  })
  .passthrough();

export const exporterEventSchema = z.discriminatedUnion('event', [exportStartEventSchema, exportDoneEventSchema, errorEventSchema]);

export type ExportStartEvent = z.infer<typeof exportStartEventSchema>;
export type ExportDoneEvent = z.infer<typeof exportDoneEventSchema>;
export type ExporterEvent = z.infer<typeof exporterEventSchema>;

/** The trainer's exit codes per error kind (events.py EXIT_CODES). */
export const TRAINER_EXIT_CODES = { ok: 0, internal: 1, bad_input: 2, io: 3, oom: 5, interrupted: 130 } as const;

/** Parse one stdout line against a command's event schema; `undefined` for a line that is not one of its events. */
export function parseEventLine<S extends z.ZodType>(schema: S, line: string): z.infer<S> | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(trimmed));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** One stdout line of `train`; `undefined` for a line that is not a protocol event. */
export function parseTrainerEvent(line: string): TrainerEvent | undefined {
  return parseEventLine(trainerEventSchema, line);
}

/** One stdout line of `evaluate`. */
export function parseEvaluatorEvent(line: string): EvaluatorEvent | undefined {
  return parseEventLine(evaluatorEventSchema, line);
}

/** One stdout line of `export`. */
export function parseExporterEvent(line: string): ExporterEvent | undefined {
  return parseEventLine(exporterEventSchema, line);
}
