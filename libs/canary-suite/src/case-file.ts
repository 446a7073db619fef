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
});

const caseSchema = z.object({
  id: z.string().min(1),
  description: z.string().optional(),
  prompt: z.string().min(1),
  /** Optional system prompt for this case. */
  system: z.string().optional(),
  assert: z.array(assertionSchema).min(1),
});

const fileSchema = z.object({ cases: z.array(caseSchema).min(1) });

/** One must-not-regress case (canary) or challenging query: a prompt and what its answer must satisfy. */
export type CanaryCase = z.infer<typeof caseSchema>;

/**
 * Read a YAML case file (`cases: [{id, prompt, assert: [{type, value}]}]`). Errors name the
 * file, the case and the field.
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
    throw new InputError(`Case file ${path}: ${issue.path.join('.')}: ${issue.message}`, {
      hint: 'Each case needs id, prompt and a non-empty assert list of {type, value}.',
    });
  }
  const seen = new Set<string>();
  for (const c of parsed.data.cases) {
    if (seen.has(c.id)) throw new InputError(`Case file ${path}: duplicate case id "${c.id}".`);
    seen.add(c.id);
  }
  return parsed.data.cases;
}
