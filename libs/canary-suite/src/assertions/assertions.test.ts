import { describe, expect, it } from 'vitest';
import { ASSERTIONS, ASSERTION_TYPES } from './registry.js';

const answer = { prompt: 'q', text: 'Use `web4 index daily` to index Today’s PDCAs.', latencyMs: 812 };
/** Validate the value as the loader does, then check: what a case file would get. */
const run = (type: string, value?: unknown, flags?: string) => {
  const t = ASSERTIONS[type]!;
  return t.check(answer, t.value ? t.value.parse(value) : undefined, flags);
};

describe('assertion registry', () => {
  it('registers every type under its own name, and lists them all', () => {
    for (const [name, type] of Object.entries(ASSERTIONS)) expect(type.name).toBe(name);
    expect(ASSERTION_TYPES).toEqual(Object.keys(ASSERTIONS));
    expect(ASSERTION_TYPES).toEqual(expect.arrayContaining(['contains', 'regex', 'pdca-sections', 'json', 'json-schema', 'refusal', 'is-tool-call']));
  });

  it('gives every value schema a description for load errors', () => {
    for (const type of Object.values(ASSERTIONS)) if (type.value) expect(type.value.description, type.name).toMatch(/\w/);
  });
});

describe('text, length and latency assertion types', () => {
  it.each([
    ['contains', 'index daily', true],
    ['contains', 'INDEX DAILY', false],
    ['icontains', 'INDEX DAILY', true],
    ['contains', ['web4', 'PDCA'], true],
    ['contains', ['web4', 'rollback'], false],
    ['icontains', ['WEB4', 'rollback'], false],
    ['contains-any', ['rollback', 'pdcas'], true],
    ['contains-any', ['rollback', 'canary'], false],
    ['contains-any', 'PDCAS', true],
    ['not-contains', ['<|im_start|>', 'error'], true],
    ['not-contains', 'Today', false],
    ['not-contains', 'today', true],
    ['regex', '`web4 [a-z]+ [a-z]+`', true],
    ['regex', '^\\d+$', false],
    ['regex', 'TODAY', false],
    ['max-latency-ms', 1000, true],
    ['max-latency-ms', 800, false],
    ['non-empty', undefined, true],
    ['max-length', 100, true],
    ['max-length', 10, false],
  ])('%s %j → %s', (type, value, expected) => {
    const result = run(type, value);
    expect(result.pass).toBe(expected);
    expect(result.reason.length).toBeGreaterThan(0);
  });

  it('names what is missing or forbidden', () => {
    expect(run('contains', ['web4', 'rollback', 'canary']).reason).toBe('missing "rollback", "canary"');
    expect(run('not-contains', ['Today', 'web4']).reason).toBe('contains forbidden "Today", "web4"');
  });

  it('fails non-empty on a blank answer', () => {
    expect(ASSERTIONS['non-empty']!.check({ ...answer, text: ' \n\t' }, undefined)).toEqual({ pass: false, reason: 'the answer is empty or only whitespace' });
  });

  it('applies regex flags, and a global flag does not carry state from one answer to the next', () => {
    expect(run('regex', 'TODAY', 'i').pass).toBe(true);
    expect([run('regex', 'web4', 'g').pass, run('regex', 'web4', 'g').pass]).toEqual([true, true]);
  });
});
