import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

describe('loadCaseFile', () => {
  it('reads cases with their assertions', () => {
    const cases = loadCaseFile(file('ok.yaml', 'cases:\n  - id: a\n    prompt: hi\n    assert:\n      - type: non-empty\n      - type: contains\n        value: hello\n'));
    expect(cases).toHaveLength(1);
    expect(cases[0]!.assert.map((a) => a.type)).toEqual(['non-empty', 'contains']);
  });

  it('names an unknown assertion type and lists the known ones', () => {
    const p = file('bad-type.yaml', 'cases:\n  - id: a\n    prompt: hi\n    assert:\n      - type: sounds-right\n');
    expect(() => loadCaseFile(p)).toThrow(/cases\.0\.assert\.0\.type: unknown assertion type; known: contains/);
  });

  it('rejects a case without assertions, a duplicate id, invalid YAML and a missing file', () => {
    expect(() => loadCaseFile(file('none.yaml', 'cases:\n  - id: a\n    prompt: hi\n    assert: []\n'))).toThrow(/assert/);
    expect(() => loadCaseFile(file('dup.yaml', 'cases:\n  - {id: a, prompt: x, assert: [{type: non-empty}]}\n  - {id: a, prompt: y, assert: [{type: non-empty}]}\n'))).toThrow(/duplicate case id "a"/);
    expect(() => loadCaseFile(file('broken.yaml', 'cases: [\n'))).toThrow(/not valid YAML/);
    expect(() => loadCaseFile(join(dir, 'missing.yaml'))).toThrow(/Cannot read case file/);
  });
});

describe('runCases', () => {
  it('passes a case only when every assertion passes, and keeps a failed call as a failure', async () => {
    const cases = loadCaseFile(file('run.yaml', 'cases:\n  - {id: good, prompt: a, assert: [{type: contains, value: yes}]}\n  - {id: bad, prompt: b, assert: [{type: contains, value: yes}]}\n  - {id: down, prompt: c, assert: [{type: non-empty}]}\n'));
    const answers: Record<string, string> = { a: 'yes indeed', b: 'no' };
    const result = await runCases(cases, async (prompt) => {
      if (!(prompt in answers)) throw new Error('connection refused');
      return { text: answers[prompt]!, latencyMs: 5 };
    });
    expect(result).toMatchObject({ passed: 1, failed: 2, total: 3 });
    expect(result.results[2]!.error).toBe('connection refused');
  });
});
