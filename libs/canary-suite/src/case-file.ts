import { InputError } from '@web4/core';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { ASSERTIONS, ASSERTION_TYPES } from './assertions/registry.js';
import type { AssertionType } from './assertions/types.js';

/** A case file that cannot be used, with every problem found in it (one line each). */
export class CaseFileError extends InputError {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(problems.length === 1 ? `Case file ${file}: ${problems[0]}` : `Case file ${file}: ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`, {
      hint: 'Fix the case file; the assertion vocabulary is at the top of examples/canary/cases.yaml.',
      details: { file, problems },
    });
    this.name = 'CaseFileError';
  }
}

/** What a person reads for a value that is not what `schema` expects. */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Check one field (`value` or `flags`) against its type's schema: the parsed value, or the problems in words. */
function checkField(field: 'value' | 'flags', raw: unknown, schema: z.ZodType): { ok: true; parsed: unknown } | { ok: false; problems: string[] } {
  const expected = schema.description ?? 'see the assertion vocabulary';
  const result = schema.safeParse(raw);
  if (result.success) return { ok: true, parsed: result.data };
  if (raw === undefined) return { ok: false, problems: [`${field} is required: ${expected}`] };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => {
      // An item number only means something when the YAML had a list.
      const at = issue.path.length && Array.isArray(raw) ? ` item ${issue.path.map((p) => (typeof p === 'number' ? p + 1 : String(p))).join('.')}` : '';
      if (!at && issue.code === 'invalid_type') return `${field} must be ${expected} (got ${describeValue(raw)})`;
      return `${field}${at} ${issue.message}`;
    }),
  };
}

const assertionSchema = z
  .strictObject({ type: z.string({ error: 'type is required: an assertion type name' }), value: z.unknown().optional(), flags: z.unknown().optional() })
  .transform((a, ctx) => {
    const type: AssertionType | undefined = Object.hasOwn(ASSERTIONS, a.type) ? ASSERTIONS[a.type] : undefined;
    if (!type) {
      ctx.addIssue({ code: 'custom', path: ['type'], message: `unknown assertion type ${JSON.stringify(a.type)}; known: ${ASSERTION_TYPES.join(', ')}` });
      return z.NEVER;
    }
    const problems: string[] = [];
    let value: unknown;
    if (!type.value) {
      if (a.value !== undefined) problems.push(`${a.type} takes no value: remove \`value\``);
    } else {
      const checked = checkField('value', a.value, type.value);
      if (checked.ok) value = checked.parsed;
      else problems.push(...checked.problems);
    }
    let flags: string | undefined;
    if (a.flags !== undefined) {
      if (!type.flags) {
        const takers = ASSERTION_TYPES.filter((t) => ASSERTIONS[t]!.flags);
        problems.push(`${a.type} takes no flags: remove \`flags\` (only ${takers.join(', ')} take${takers.length === 1 ? 's' : ''} flags)`);
      } else {
        const checked = checkField('flags', a.flags, type.flags);
        if (checked.ok) flags = checked.parsed as string;
        else problems.push(...checked.problems);
      }
    }
    if (problems.length === 0 && type.validate) {
      const problem = type.validate(value, flags);
      if (problem) problems.push(`value ${problem}`);
    }
    for (const message of problems) ctx.addIssue({ code: 'custom', message });
    return problems.length ? z.NEVER : { type: a.type, value, ...(flags !== undefined ? { flags } : {}) };
  });

/** Generation options passed to the model (Ollama option names: temperature, num_predict …). */
const optionsSchema = z.record(z.string(), z.union([z.number(), z.string(), z.boolean()]), { error: 'options must be a mapping of Ollama options, e.g. {temperature: 0, num_predict: 64}' });

const nonBlank = (field: string) => z.string({ error: `${field} is required: a non-empty string` }).refine((s) => s.trim().length > 0, `${field} must not be empty`);

const caseSchema = z.strictObject({
  id: nonBlank('id'),
  description: z.string().optional(),
  prompt: nonBlank('prompt'),
  /** Text put before the prompt, as retrieval would, so the model has the facts it needs. */
  context: z.string().optional(),
  system: z.string().optional(),
  options: optionsSchema.optional(),
  assertions: z.array(assertionSchema, { error: 'assertions is required: a list of {type, value}' }).min(1, 'assertions must list at least one assertion'),
});

const fileSchema = z
  .strictObject({
    version: z.literal(1, { error: 'version must be 1' }).optional(),
    defaults: z.strictObject({ system: z.string().optional(), options: optionsSchema.optional() }).optional(),
    cases: z.array(caseSchema).min(1, 'cases must list at least one case').optional(),
    queries: z.array(caseSchema).min(1, 'queries must list at least one query').optional(),
  }, { error: 'a case file is a YAML mapping with `cases:` (or `queries:`)' })
  .refine((f) => (f.cases ? 1 : 0) + (f.queries ? 1 : 0) === 1, { message: 'a case file has exactly one list: `cases` (canaries) or `queries` (validation)' });

/**
 * One must-not-regress case (canary) or challenging query: a prompt and what its answer must
 * satisfy, with the file's defaults (system prompt, options) already applied and every
 * assertion's value checked against its type.
 */
export type CanaryCase = z.output<typeof caseSchema>;

/** "case "canary-09" assertion 2 (contains): " — where in the file an issue is, from the raw YAML. */
function locate(data: unknown, path: PropertyKey[]): { where: string; rest: PropertyKey[] } {
  const [list, index, field, aIndex, ...rest] = path;
  if ((list !== 'cases' && list !== 'queries') || typeof index !== 'number') return { where: '', rest: path };
  const raw = (data as Record<string, Array<Record<string, unknown>>>)[list]?.[index];
  const id = typeof raw?.id === 'string' && raw.id.trim() ? `case ${JSON.stringify(raw.id)}` : `case ${index + 1} (no id)`;
  if (field !== 'assertions' || typeof aIndex !== 'number') return { where: `${id}: `, rest: field === undefined ? [] : [field, ...(aIndex === undefined ? [] : [aIndex]), ...rest] };
  const assertion = (raw?.assertions as Array<Record<string, unknown>> | undefined)?.[aIndex];
  const type = typeof assertion?.type === 'string' ? ` (${assertion.type})` : '';
  return { where: `${id} assertion ${aIndex + 1}${type}: `, rest };
}

function problemOf(data: unknown, issue: z.core.$ZodIssue): string {
  const { where, rest } = locate(data, issue.path);
  const field = rest.filter((p) => p !== 'type' || issue.code !== 'custom').join('.');
  if (issue.code === 'unrecognized_keys') return `${where}unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}${field ? ` in ${field}` : ''}: check the spelling`;
  // Custom messages (and those of the schemas above) already name their field.
  if (issue.code === 'custom' || !field || issue.message.startsWith(field.split('.').pop()!)) return `${where}${issue.message}`;
  return `${where}${field}: ${issue.message}`;
}

/**
 * Read a YAML case file (`cases:` or `queries:` of `{id, prompt, context?, system?, options?,
 * assertions: [{type, value?, flags?}]}`, with optional `defaults`) and check it completely:
 * every assertion's value against its type, regular expressions and JSON Schemas compiled.
 * Throws a CaseFileError listing every problem, each with its case id and what to fix.
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
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => problemOf(data, issue));

  const list = (data as { cases?: unknown; queries?: unknown } | null)?.cases ?? (data as { queries?: unknown } | null)?.queries;
  const firstAt = new Map<string, number>();
  for (const [i, c] of (Array.isArray(list) ? list : []).entries()) {
    const id = (c as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') continue;
    const first = firstAt.get(id);
    if (first === undefined) firstAt.set(id, i);
    else problems.push(`duplicate case id ${JSON.stringify(id)} (cases ${first + 1} and ${i + 1}): give each case its own id`);
  }
  if (problems.length || !parsed.success) throw new CaseFileError(path, problems);

  const { defaults } = parsed.data;
  return (parsed.data.cases ?? parsed.data.queries)!.map((c) => ({
    ...c,
    ...(c.system ?? defaults?.system ? { system: c.system ?? defaults?.system } : {}),
    ...(defaults?.options || c.options ? { options: { ...defaults?.options, ...c.options } } : {}),
  }));
}
