import { describe, expect, it } from 'vitest';
import { jsonInAnswer, jsonObjectsInText } from './json-in-answer.js';
import { json } from './json.js';

const check = (text: string, keys?: string[]) => json.check({ prompt: '', text, latencyMs: 0 }, keys);

describe('json', () => {
  it('passes an answer that is JSON, or holds JSON in a code fence', () => {
    expect(check('{"model": "web4-agent", "passed": 20}')).toEqual({ pass: true, reason: 'valid JSON in the whole answer' });
    expect(check('Here it is:\n```json\n{"model": "web4-agent"}\n```\nDone.')).toEqual({ pass: true, reason: 'valid JSON in code fence 1' });
    expect(check('```\nnot json\n```\n```json\n[1, 2]\n```').reason).toBe('valid JSON in code fence 2');
  });

  it('fails prose, JSON cut short, a bare number and JSON outside a fence, saying why', () => {
    expect(check('This returns a JSON object with name and version.').reason).toMatch(/^no JSON: the answer is not JSON \(.+\) and it has no ``` code fence$/);
    expect(check('```json\n{\n  "model": {\n    "name"\n```').reason).toMatch(/none of its 1 code fence\(s\) holds a JSON object or array \(first: /);
    expect(check('42').pass).toBe(false);
    expect(check('The JSON is {"a": 1} here.').pass).toBe(false);
  });

  it('checks required top-level keys when given', () => {
    expect(check('{"model":"web4-agent","passes_to_next":[1]}', ['model']).pass).toBe(true);
    expect(check('{"model":"web4-agent"}', ['model', 'passed'])).toEqual({ pass: false, reason: 'JSON object in the whole answer lacks "passed": {"model":"web4-agent"}' });
    expect(check('{"outer": {"passed": 1}}', ['passed']).pass).toBe(false);
    expect(check('["model"]', ['model']).reason).toMatch(/is an array, expected an object/);
  });
});

describe('JSON in answers', () => {
  it('finds every object written in prose, skipping braces inside strings', () => {
    expect(jsonObjectsInText('Call `{"tool": "x", "arguments": {"q": "a } b"}}` now, then {"b": 2}. {not json}')).toEqual([
      { tool: 'x', arguments: { q: 'a } b' } },
      { q: 'a } b' },
      { b: 2 },
    ]);
  });

  it('reports an unclosed object as nothing found', () => {
    expect(jsonObjectsInText('{"tool": "x", "arguments": {')).toEqual([]);
    expect(jsonInAnswer('').found).toBe(false);
  });
});
