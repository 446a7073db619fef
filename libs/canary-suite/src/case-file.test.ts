import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ASSERTION_TYPES } from './assertions/registry.js';
import { CaseFileError, loadCaseFile } from './case-file.js';

const dir = mkdtempSync(join(tmpdir(), 'web4-cases-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (text: string) => {
  const p = join(dir, `case-${++n}.yaml`);
  writeFileSync(p, text);
  return p;
};
const examples = join(dirname(fileURLToPath(import.meta.url)), '../../../examples');

/** A file with one case "c1" whose assertions are the given YAML flow mappings. */
const withAssertions = (...assertions: string[]) => file(`cases:\n  - id: c1\n    prompt: hi\n    assertions:\n${assertions.map((a) => `      - ${a}\n`).join('')}`);

/** The problems loadCaseFile reports for a file (fails the test when it loads). */
function problems(path: string): string[] {
  try {
    loadCaseFile(path);
  } catch (error) {
    expect(error).toBeInstanceOf(CaseFileError);
    return (error as CaseFileError).problems;
  }
  throw new Error(`${path} loaded without problems`);
}

describe('loadCaseFile: the shipped files', () => {
  it('reads the 20 canary cases with defaults applied, using every new assertion type', () => {
    const canaries = loadCaseFile(join(examples, 'canary/cases.yaml'));
    expect(canaries).toHaveLength(20);
    expect(canaries.every((c) => c.system && c.options?.temperature === 0 && typeof c.options.num_predict === 'number')).toBe(true);
    const used = new Set(canaries.flatMap((c) => c.assertions.map((a) => a.type)));
    for (const type of ['pdca-sections', 'json', 'json-schema', 'refusal', 'is-tool-call']) expect(used, type).toContain(type);
  });

  it("reads the plan's 20+ challenging queries under the same validation", () => {
    const queries = loadCaseFile(join(examples, 'validation/challenging_queries.yaml'));
    expect(queries.length).toBeGreaterThanOrEqual(20);
    expect(new Set(queries.map((q) => q.id)).size).toBe(queries.length);
    expect(queries.some((q) => q.context)).toBe(true);
  });
});

describe('loadCaseFile: every problem, with the case id and what to fix', () => {
  it('reports a missing value with what the type expects', () => {
    const path = file('cases:\n  - id: canary-09\n    prompt: hi\n    assertions:\n      - { type: non-empty }\n      - { type: contains }\n');
    expect(() => loadCaseFile(path)).toThrow(`Case file ${path}: case "canary-09" assertion 2 (contains): value is required: a string or a list of strings`);
  });

  it('reports a wrongly typed value with what was given', () => {
    expect(problems(withAssertions('{ type: contains, value: 2026 }'))).toEqual(['case "c1" assertion 1 (contains): value must be a string or a list of strings (got number 2026)']);
    expect(problems(withAssertions('{ type: contains, value: [web4, 3, ""] }'))).toEqual([
      'case "c1" assertion 1 (contains): value item 2 must be a string (quote numbers and dates in YAML)',
      'case "c1" assertion 1 (contains): value item 3 must not be empty',
    ]);
    expect(problems(withAssertions('{ type: max-latency-ms, value: fast }'))).toEqual(['case "c1" assertion 1 (max-latency-ms): value must be a number of milliseconds, e.g. 120000 (got string "fast")']);
    expect(problems(withAssertions('{ type: max-length, value: -3 }'))).toEqual(['case "c1" assertion 1 (max-length): value must be above 0']);
    expect(problems(withAssertions('{ type: refusal, value: "yes" }'))).toEqual(['case "c1" assertion 1 (refusal): value must be true (the answer refuses) or false (it does not) (got string "yes")']);
    expect(problems(withAssertions('{ type: is-tool-call, value: { name: run_command } }'))).toEqual(['case "c1" assertion 1 (is-tool-call): value must be a tool name, e.g. run_command (got a mapping)']);
  });

  it('names an unknown assertion type and lists the known ones', () => {
    expect(problems(withAssertions('{ type: sounds-right }'))).toEqual([`case "c1" assertion 1 (sounds-right): unknown assertion type "sounds-right"; known: ${ASSERTION_TYPES.join(', ')}`]);
    expect(problems(withAssertions('{ type: toString }'))[0]).toMatch(/unknown assertion type "toString"/);
    expect(problems(withAssertions('{ value: x }'))).toEqual(['case "c1" assertion 1: type is required: an assertion type name']);
  });

  it('compiles regular expressions at load time and reports the JavaScript error', () => {
    expect(problems(withAssertions('{ type: regex, value: "(" }'))).toEqual(['case "c1" assertion 1 (regex): value does not compile: Invalid regular expression: /(/: Unterminated group']);
    // Valid without flags, not with `u`: the pattern is compiled with its flags.
    expect(problems(withAssertions('{ type: regex, value: "a{", flags: u }'))).toEqual(['case "c1" assertion 1 (regex): value does not compile: Invalid regular expression: /a{/u: Incomplete quantifier']);
  });

  it('reports bad flags, and flags on a type that takes none', () => {
    expect(problems(withAssertions('{ type: regex, value: x, flags: zz }'))).toEqual(['case "c1" assertion 1 (regex): flags "zz" are not JavaScript RegExp flags (use letters from "dgimsuvy", each once)']);
    expect(problems(withAssertions('{ type: regex, value: x, flags: gg }'))).toEqual(['case "c1" assertion 1 (regex): flags "gg" are not JavaScript RegExp flags (use letters from "dgimsuvy", each once)']);
    expect(problems(withAssertions('{ type: regex, value: x, flags: 1 }'))).toEqual(['case "c1" assertion 1 (regex): flags must be JavaScript RegExp flags such as "i" (got number 1)']);
    expect(problems(withAssertions('{ type: contains, value: x, flags: i }'))).toEqual(['case "c1" assertion 1 (contains): contains takes no flags: remove `flags` (only regex takes flags)']);
  });

  it('reports a value given to a type that takes none', () => {
    expect(problems(withAssertions('{ type: non-empty, value: 500 }'))).toEqual(['case "c1" assertion 1 (non-empty): non-empty takes no value: remove `value`']);
  });

  it('validates a JSON Schema value at load time', () => {
    expect(problems(withAssertions('{ type: json-schema, value: { type: object, requierd: [tool] } }'))).toEqual([
      'case "c1" assertion 1 (json-schema): value is not a valid JSON Schema: strict mode: unknown keyword: "requierd"',
    ]);
    expect(problems(withAssertions('{ type: json-schema }'))).toEqual(['case "c1" assertion 1 (json-schema): value is required: a JSON Schema (draft-07) as a YAML mapping, e.g. {type: object, required: [tool]}']);
  });

  it('reports a duplicate id, an empty or missing prompt, a misspelt field and an empty assertion list', () => {
    expect(problems(file('cases:\n  - {id: a, prompt: x, assertions: [{type: non-empty}]}\n  - {id: b, prompt: y, assertions: [{type: non-empty}]}\n  - {id: a, prompt: z, assertions: [{type: non-empty}]}\n'))).toEqual([
      'duplicate case id "a" (cases 1 and 3): give each case its own id',
    ]);
    expect(problems(file('cases:\n  - {id: a, prompt: "  ", assertions: [{type: non-empty}]}\n'))).toEqual(['case "a": prompt must not be empty']);
    expect(problems(file('cases:\n  - {id: a, assertions: [{type: non-empty}]}\n'))).toEqual(['case "a": prompt is required: a non-empty string']);
    expect(problems(file('cases:\n  - {id: a, prompt: x, assertions: [{type: contains, vlaue: x}]}\n'))).toEqual([
      'case "a" assertion 1 (contains): unknown field "vlaue": check the spelling',
      'case "a" assertion 1 (contains): value is required: a string or a list of strings',
    ]);
    expect(problems(file('cases:\n  - {id: a, promt: x, prompt: x, assertions: [{type: non-empty}]}\n'))).toEqual(['case "a": unknown field "promt": check the spelling']);
    expect(problems(file('cases:\n  - {id: a, prompt: x, assertions: []}\n'))).toEqual(['case "a": assertions must list at least one assertion']);
    expect(problems(file('cases:\n  - {prompt: x, assertions: [{type: non-empty}]}\n'))).toEqual(['case 1 (no id): id is required: a non-empty string']);
  });

  it('lists every problem of a file at once, one line each', () => {
    const path = file(
      'cases:\n  - {id: a, prompt: x, assertions: [{type: contains}, {type: regex, value: "["}]}\n  - {id: b, prompt: "", assertions: [{type: refusal, value: 1}]}\n  - {id: a, prompt: y, assertions: [{type: nope}]}\n',
    );
    const error = (() => {
      try {
        loadCaseFile(path);
      } catch (e) {
        return e as CaseFileError;
      }
      throw new Error('loaded');
    })();
    expect(error.problems).toHaveLength(6);
    expect(error.message.split('\n')[0]).toBe(`Case file ${path}: 6 problems:`);
    expect(error.message).toContain('  - case "a" assertion 2 (regex): value does not compile: Invalid regular expression: /[/: Unterminated character class');
    expect(error.message).toContain('  - case "b": prompt must not be empty');
    expect(error.message).toContain('  - case "b" assertion 1 (refusal): value must be true');
    expect(error.message).toContain('  - duplicate case id "a" (cases 1 and 3)');
    expect(error.hint).toMatch(/assertion vocabulary/);
  });

  it('rejects invalid YAML, a file with both lists or none, and a missing file', () => {
    expect(() => loadCaseFile(file('cases: [\n'))).toThrow(/not valid YAML/);
    expect(problems(file('cases: [{id: a, prompt: x, assertions: [{type: non-empty}]}]\nqueries: [{id: b, prompt: x, assertions: [{type: non-empty}]}]\n'))).toEqual([
      'a case file has exactly one list: `cases` (canaries) or `queries` (validation)',
    ]);
    expect(problems(file('version: 1\n'))).toEqual(['a case file has exactly one list: `cases` (canaries) or `queries` (validation)']);
    expect(problems(file('- just\n- a list\n'))).toEqual(['a case file is a YAML mapping with `cases:` (or `queries:`)']);
    expect(() => loadCaseFile(join(dir, 'missing.yaml'))).toThrow(/Cannot read case file/);
  });

  it('hands the checks their validated values: a single text becomes a list', () => {
    const [c] = loadCaseFile(withAssertions('{ type: contains, value: web4 }', '{ type: regex, value: "^a", flags: i }', '{ type: non-empty }'));
    expect(c!.assertions).toEqual([
      { type: 'contains', value: ['web4'] },
      { type: 'regex', value: '^a', flags: 'i' },
      { type: 'non-empty', value: undefined },
    ]);
  });
});
