import { describe, expect, it } from 'vitest';
import { ASSERTIONS } from './registry.js';

const answer = { prompt: 'q', text: 'Use `web4 index daily` to index Today’s PDCAs.', latencyMs: 812 };

describe('assertion types', () => {
  it.each([
    ['contains', 'index daily', true],
    ['contains', 'INDEX DAILY', false],
    ['icontains', 'INDEX DAILY', true],
    ['contains', ['web4', 'PDCA'], true],
    ['contains', ['web4', 'rollback'], false],
    ['contains-any', ['rollback', 'pdcas'], true],
    ['contains-any', ['rollback', 'canary'], false],
    ['not-contains', ['<|im_start|>', 'error'], true],
    ['not-contains', 'Today', false],
    ['not-contains', 'today', true],
    ['regex', '`web4 [a-z]+ [a-z]+`', true],
    ['regex', '^\\d+$', false],
    ['max-latency-ms', 1000, true],
    ['max-latency-ms', 800, false],
    ['non-empty', undefined, true],
    ['non-empty', 500, false],
    ['max-length', 100, true],
    ['max-length', 10, false],
    ['regex', 'TODAY', false],
  ])('%s %j → %s', (type, value, expected) => {
    const result = ASSERTIONS[type]!(answer, value);
    expect(result.pass).toBe(expected);
    expect(result.reason.length).toBeGreaterThan(0);
  });

  it('applies regex flags', () => {
    expect(ASSERTIONS.regex!(answer, 'TODAY', 'i').pass).toBe(true);
  });
});
