import { describe, expect, it } from 'vitest';
import { fileStamp, isoDay } from './clock.js';
import { parseDay, parseDays } from './dates.js';
import { InputError } from './errors.js';

const now = new Date('2026-11-25T13:45:10Z');

describe('parseDay', () => {
  it('reads YYYY-MM-DD as a UTC day, and today/yesterday relative to the clock', () => {
    expect(parseDay('2026-02-28', now).toISOString()).toBe('2026-02-28T00:00:00.000Z');
    expect(isoDay(parseDay('today', now))).toBe('2026-11-25');
    expect(isoDay(parseDay('yesterday', now))).toBe('2026-11-24');
  });

  it.each(['2026-02-30', '25/11/2026', 'tomorrowish', '', '2026-13-01'])('rejects %j with the expected form', (text) => {
    expect(() => parseDay(text, now)).toThrow(InputError);
    expect(() => parseDay(text, now)).toThrow(/YYYY-MM-DD/);
  });

  it('accepts only whole positive day counts', () => {
    expect(parseDays('7')).toBe(7);
    for (const bad of ['0', '-1', '2.5', 'x']) expect(() => parseDays(bad)).toThrow(/--days/);
  });

  it('stamps file names in UTC', () => {
    expect(fileStamp(now)).toBe('20261125_134510');
  });
});
