import { describe, expect, it } from 'vitest';
import { jsonSchema } from './json-schema.js';

const toolCall = { type: 'object', required: ['tool', 'arguments'], properties: { tool: { const: 'run_command' }, arguments: { type: 'object', required: ['command'] } } };
const check = (text: string, schema: Record<string, unknown> = toolCall) => jsonSchema.check({ prompt: '', text, latencyMs: 0 }, jsonSchema.value!.parse(schema));

describe('json-schema', () => {
  it('passes JSON (whole answer or code fence) that matches the schema', () => {
    expect(check('{"tool": "run_command", "arguments": {"command": "web4 model list"}}')).toEqual({ pass: true, reason: 'JSON in the whole answer matches the schema' });
    expect(check('Sure:\n```json\n{"tool": "run_command", "arguments": {"command": "ls"}}\n```').pass).toBe(true);
  });

  it('fails JSON that does not match, naming every violation and what it got', () => {
    const r = check('{"tool": "read_file", "args": []}');
    expect(r.pass).toBe(false);
    expect(r.reason).toContain("(root) must have required property 'arguments'");
    expect(r.reason).toContain('/tool must be equal to constant');
    expect(r.reason).toContain('got {"tool":"read_file","args":[]}');
  });

  it('fails an answer without JSON', () => {
    expect(check('I would run web4 model list.').reason).toMatch(/^no JSON: /);
  });

  it('rejects an invalid schema when the value is validated, with the Ajv error', () => {
    const bad = (schema: unknown) => jsonSchema.value!.safeParse(schema).error?.issues[0]?.message;
    expect(bad({ type: 'objekt' })).toMatch(/^is not a valid JSON Schema: schema is invalid: data\/type must be equal to one of the allowed values/);
    expect(bad({ type: 'object', requierd: ['tool'] })).toBe('is not a valid JSON Schema: strict mode: unknown keyword: "requierd"');
    expect(bad(['tool'])).toBeDefined();
    expect(jsonSchema.value!.safeParse(toolCall).success).toBe(true);
  });

  it('compiles the same $id in two case files without a clash', () => {
    const a = { $id: 'https://web4.local/tool-call', type: 'object' };
    const b = { $id: 'https://web4.local/tool-call', type: 'array' };
    expect(check('{"x": 1}', a).pass).toBe(true);
    expect(check('{"x": 1}', b).pass).toBe(false);
  });
});
