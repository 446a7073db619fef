import { InputError } from '@web4/core';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { ASSERTION_TYPES } from './assertions/registry.js';

const assertionSchema = z.object({
  type: z.string().refine((t) => ASSERTION_TYPES.includes(t), {
    message: `unknown assertion type; known: ${ASSERTION_TYPES.join(', ')}`,
  }),
  value: z.unknown().optional(),
  /** Regular-expression flags for `regex` (e.g. `i`). */
  flags: z.string().regex(/^[dgimsuvy]*$/, 'flags must be JavaScript RegExp flags such as "i"').optional(),
});

/** Generation options passed to the model (Ollama option names: temperature, num_predict …). */
const optionsSchema = z.record(z.string(), z.union([z.number(), z.string(), z.boolean()]));

const caseSchema = z.object({
  id: z.string().min(1),
  description: z.string().optional(),
  prompt: z.string().min(1),
  /** Text put before the prompt, as retrieval would, so the model has the facts it needs. */
  context: z.string().optional(),
  system: z.string().optional(),
  options: optionsSchema.optional(),
  assertions: z.array(assertionSchema).min(1),
});

const fileSchema = z
  .object({
    version: z.literal(1).optional(),
    defaults: z.object({ system: z.string().optional(), options: optionsSchema.optional() }).optional(),
    cases: z.array(caseSchema).min(1).optional(),
    queries: z.array(caseSchema).min(1).optional(),
  })
  .refine((f) => (f.cases ? 1 : 0) + (f.queries ? 1 : 0) === 1, { message: 'a case file has exactly one list: `cases` (canaries) or `queries` (validation)' });

/**
 * One must-not-regress case (canary) or challenging query: a prompt and what its answer must
 * satisfy, with the file's defaults (system prompt, options) already applied.
 */
export type CanaryCase = z.infer<typeof caseSchema>;

/**
 * Read a YAML case file (`cases:` or `queries:` of `{id, prompt, context?, assertions: [{type,
 * value, flags?}]}`, with optional `defaults`). Errors name the file, the case and the field.
 */
export function loadCaseFile(path: string): CanaryCase[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new InputError(`Cannot read case file ${path}: ${(cause as Error).message}`, { cause, hint: 'Check the path in the config or on the command line.' });
  }
  let data: unknown;
  try {
    data = parse(text);
  } catch (cause) {
    throw new InputError(`Case file ${path} is not valid YAML: ${(cause as Error).message}`, { cause });
  }
  const parsed = fileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(`Case file ${path}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`, {
      hint: 'Each case needs id, prompt and a non-empty assertions list of {type, value}.',
    });
  }
  const { defaults } = parsed.data;
  const cases = (parsed.data.cases ?? parsed.data.queries)!.map((c) => ({
    ...c,
    ...(c.system ?? defaults?.system ? { system: c.system ?? defaults?.system } : {}),
    ...(defaults?.options || c.options ? { options: { ...defaults?.options, ...c.options } } : {}),
  }));
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.id)) throw new InputError(`Case file ${path}: duplicate case id "${c.id}".`);
    seen.add(c.id);
  }
  return cases;
}
