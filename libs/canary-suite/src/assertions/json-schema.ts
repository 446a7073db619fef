import { Ajv, type ValidateFunction } from 'ajv';
import { z } from 'zod';
import { jsonInAnswer, preview } from './json-in-answer.js';
import { defineAssertion } from './types.js';

// One validator per schema object, each from its own Ajv: two case files may use the same `$id`.
// Unknown keywords (a typo such as `requierd`) are errors; Ajv's stylistic strict checks are off.
const compiled = new WeakMap<object, ValidateFunction>();

/** The schema's validator, or the Ajv error that says why it is not a usable JSON Schema. */
function validatorFor(schema: Record<string, unknown>): ValidateFunction | string {
  const known = compiled.get(schema);
  if (known) return known;
  try {
    const validate = new Ajv({ allErrors: true, strictSchema: true, strictTypes: false, strictTuples: false, strictRequired: false }).compile(schema);
    compiled.set(schema, validate);
    return validate;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The JSON in the answer (as `json` finds it) validates against the JSON Schema (draft-07) given as value. */
export const jsonSchema = defineAssertion({
  name: 'json-schema',
  value: z
    .record(z.string(), z.unknown(), { error: 'must be a JSON Schema written as a YAML mapping' })
    .superRefine((schema, ctx) => {
      const v = validatorFor(schema);
      if (typeof v === 'string') ctx.addIssue({ code: 'custom', message: `is not a valid JSON Schema: ${v}` });
    })
    .describe('a JSON Schema (draft-07) as a YAML mapping, e.g. {type: object, required: [tool]}'),
  check: (answer, schema) => {
    const found = jsonInAnswer(answer.text);
    if (!found.found) return { pass: false, reason: `no JSON: ${found.why}` };
    const validate = validatorFor(schema);
    if (typeof validate === 'string') return { pass: false, reason: `invalid JSON Schema: ${validate}` };
    if (validate(found.value)) return { pass: true, reason: `JSON in ${found.where} matches the schema` };
    const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`);
    return { pass: false, reason: `JSON in ${found.where} does not match the schema: ${errors.join('; ')} — got ${preview(found.value)}` };
  },
});
