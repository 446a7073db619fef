import { InputError } from '@web4/core';
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
      null, // the gateway's fields, absent: null
      null,
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(toQueryRow({ latencyMs: 0, timestamp: '2026-11-25T11:00:00+01:00', queryType: 'chat' }, () => now, 1000).slice(0, 3)).toEqual(['2026-11-25T10:00:00.000Z', 'chat', 'pure_trained']);
  });

  it('carries the gateway fields after the original twelve columns', () => {
    const now = new Date('2026-11-25T10:00:00.000Z');
    const row = toQueryRow(
      { latencyMs: 800, queryId: 'q-1', endpoint: 'chat', model: 'web4-agent:latest', modelVersion: 'v20261124_220000', ttftMs: 120.5, tokensIn: 42, tokensPerSecond: 18.25, errorKind: null },
      () => now,
      1000,
    );
    expect(row.slice(12)).toEqual(['q-1', 'chat', 'web4-agent:latest', 'v20261124_220000', 120.5, 42, 18.25, null]);
    expect(toQueryRow({ latencyMs: 1, ttftMs: 0, tokensIn: 0, tokensPerSecond: 0, errorKind: 'upstream_timeout' }, () => now, 1000).slice(12)).toEqual([null, null, null, null, 0, 0, 0, 'upstream_timeout']);
  });

  it('rejects a bad gateway field with an InputError naming it, whatever else is right', () => {
    const now = (): Date => new Date('2026-11-25T10:00:00.000Z');
    const bad: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ ttftMs: -1 }, 'ttftMs', /ttftMs must be a finite number ≥ 0, got -1/],
      [{ ttftMs: Number.NaN }, 'ttftMs', /ttftMs must be a finite number ≥ 0, got NaN/],
      [{ ttftMs: '12' }, 'ttftMs', /ttftMs must be a finite number ≥ 0, got the string "12"/],
      [{ tokensIn: 1.5 }, 'tokensIn', /tokensIn must be a whole number from 0 to 2147483647, got 1.5/],
      [{ tokensIn: -3 }, 'tokensIn', /tokensIn must be a whole number from 0 to 2147483647/],
      // PostgreSQL's column is 4 bytes: both dialects refuse what one of them could not store.
      [{ tokensIn: 2 ** 31 }, 'tokensIn', /tokensIn must be a whole number from 0 to 2147483647, got 2147483648/],
      [{ tokensGenerated: 2 ** 31 }, 'tokensGenerated', /tokensGenerated must be a whole number from 0 to 2147483647, got 2147483648/],
      [{ tokensPerSecond: Number.POSITIVE_INFINITY }, 'tokensPerSecond', /tokensPerSecond must be a finite number ≥ 0, got Infinity/],
      [{ queryId: '' }, 'queryId', /queryId must be a non-empty string of at most 200 characters, got the string ""/],
      [{ queryId: 'x'.repeat(201) }, 'queryId', /queryId .* got a string of 201 characters/],
      [{ queryId: 7 }, 'queryId', /queryId must be a non-empty string .* got 7\./],
      [{ endpoint: '' }, 'endpoint', /endpoint must be/],
      [{ model: {} }, 'model', /model must be .* got object/],
      [{ modelVersion: 'v'.repeat(500) }, 'modelVersion', /modelVersion must be/],
      [{ errorKind: false }, 'errorKind', /errorKind must be .* got boolean/],
    ];
    for (const [fields, field, message] of bad) {
      let caught: unknown;
      try {
        toQueryRow({ latencyMs: 5, ...fields } as never, now, 1000);
      } catch (error) {
        caught = error;
      }
      expect(caught, field).toBeInstanceOf(InputError);
      expect((caught as InputError).message, field).toMatch(message);
      expect((caught as InputError).details, field).toMatchObject({ field });
    }
  });
});
