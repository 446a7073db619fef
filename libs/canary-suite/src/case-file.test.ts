import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCaseFile } from './case-file.js';
import { runCases } from './run-cases.js';

const dir = mkdtempSync(join(tmpdir(), 'web4-cases-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const examples = join(dirname(fileURLToPath(import.meta.url)), '../../../examples');

describe('loadCaseFile', () => {
  it('reads the shipped canary cases (20) and challenging queries, with defaults applied', () => {
    const canaries = loadCaseFile(join(examples, 'canary/cases.yaml'));
    expect(canaries).toHaveLength(20);
    expect(canaries.every((c) => c.system && c.options?.temperature === 0)).toBe(true);
    const queries = loadCaseFile(join(examples, 'validation/challenging_queries.yaml'));
    expect(queries.length).toBeGreaterThanOrEqual(5);
    expect(queries.some((q) => q.context)).toBe(true);
  });

  it('names an unknown assertion type and lists the known ones', () => {
    const p = file('bad-type.yaml', 'cases:\n  - id: a\n    prompt: hi\n    assertions:\n      - type: sounds-right\n');
    expect(() => loadCaseFile(p)).toThrow(/cases\.0\.assertions\.0\.type: unknown assertion type; known: contains/);
  });

  it('rejects a case without assertions, a duplicate id, bad regex flags, invalid YAML, both lists and a missing file', () => {
    expect(() => loadCaseFile(file('none.yaml', 'cases:\n  - id: a\n    prompt: hi\n    assertions: []\n'))).toThrow(/assertions/);
    expect(() => loadCaseFile(file('dup.yaml', 'cases:\n  - {id: a, prompt: x, assertions: [{type: non-empty}]}\n  - {id: a, prompt: y, assertions: [{type: non-empty}]}\n'))).toThrow(/duplicate case id "a"/);
    expect(() => loadCaseFile(file('flags.yaml', 'cases:\n  - {id: a, prompt: x, assertions: [{type: regex, value: x, flags: "zz"}]}\n'))).toThrow(/RegExp flags/);
    expect(() => loadCaseFile(file('broken.yaml', 'cases: [\n'))).toThrow(/not valid YAML/);
    expect(() => loadCaseFile(file('both.yaml', 'cases: [{id: a, prompt: x, assertions: [{type: non-empty}]}]\nqueries: [{id: b, prompt: x, assertions: [{type: non-empty}]}]\n'))).toThrow(/exactly one list/);
    expect(() => loadCaseFile(join(dir, 'missing.yaml'))).toThrow(/Cannot read case file/);
  });
});

describe('runCases', () => {
  it('passes a case only when every assertion passes, and keeps a failed call as a failure', async () => {
    const cases = loadCaseFile(file('run.yaml', 'cases:\n  - {id: good, prompt: a, assertions: [{type: contains, value: yes}]}\n  - {id: bad, prompt: b, assertions: [{type: contains, value: yes}]}\n  - {id: down, prompt: c, assertions: [{type: non-empty}]}\n'));
    const answers: Record<string, string> = { a: 'yes indeed', b: 'no' };
    const result = await runCases(cases, async ({ prompt }) => {
      if (!(prompt in answers)) throw new Error('connection refused');
      return { text: answers[prompt]!, latencyMs: 5 };
    });
    expect(result).toMatchObject({ passed: 1, failed: 2, total: 3 });
    expect(result.results[2]!.error).toBe('connection refused');
  });
});
