import { describe, expect, it } from 'vitest';
import { isoTimestamp, toQueryRow } from './query-record.js';

describe('query records', () => {
  it('formats timestamps exactly like Date#toISOString, cached or not', () => {
    const instants = [0, 1, 999, 1000, 1_764_000_000_000, 1_764_000_000_007, 1_764_000_000_070, 1_764_000_000_700, 1_764_000_001_000, -1, -62_198_755_200_000, 253_402_300_799_999, 253_402_300_800_000];
    for (let i = 0; i < 2_000; i++) instants.push(Math.floor(Math.random() * 4_000_000_000_000));
    for (const ms of instants) expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
  });

  it('turns a record into the row the insert expects', () => {
    const now = new Date('2026-11-25T10:00:00.123Z');
    expect(toQueryRow({ latencyMs: 12.5, usedTools: true, usedGraph: true, tokensGenerated: 40, userFeedback: 'thumbs_up', error: 'x', errorContext: { a: 1 } }, () => now, 1000)).toEqual([
      '2026-11-25T10:00:00.123Z',
      'general',
      'multiple',
      12.5,
      0,
      1,
      0,
      1,
      40,
      'thumbs_up',
      'x',
      '{"a":1}',
    ]);
    expect(toQueryRow({ latencyMs: 0, timestamp: '2026-11-25T11:00:00+01:00', queryType: 'chat' }, () => now, 1000).slice(0, 3)).toEqual(['2026-11-25T10:00:00.000Z', 'chat', 'pure_trained']);
  });
});
