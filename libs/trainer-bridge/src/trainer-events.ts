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

/** The trainer's exit codes per error kind (events.py EXIT_CODES). */
export const TRAINER_EXIT_CODES = { ok: 0, internal: 1, bad_input: 2, io: 3, oom: 5, interrupted: 130 } as const;

/** Parse one stdout line; `undefined` for a line that is not a protocol event. */
export function parseTrainerEvent(line: string): TrainerEvent | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const parsed = trainerEventSchema.safeParse(JSON.parse(trimmed));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
