import { InputError } from './errors.js';

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Parse a user-given day (`YYYY-MM-DD`, or `today`/`yesterday` relative to `now`) into a UTC
 * midnight. Rejects anything else with an error that shows the expected form.
 */
export function parseDay(text: string, now: Date, what = 'date'): Date {
  const trimmed = text.trim();
  if (trimmed === 'today') return utcMidnight(now);
  if (trimmed === 'yesterday') return new Date(utcMidnight(now).getTime() - 86_400_000);
  const m = DAY.exec(trimmed);
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const date = new Date(Date.UTC(y, mo - 1, d));
    if (date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d) return date;
  }
  throw new InputError(`The ${what} "${text}" does not parse: expected YYYY-MM-DD.`, {
    hint: 'Give a day as YYYY-MM-DD (for example 2026-11-25), or "today" / "yesterday".',
  });
}

export function utcMidnight(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * 86_400_000);
}

/** A positive whole number of days, for `--days`. */
export function parseDays(value: unknown, what = '--days'): number {
  const n = typeof value === 'number' ? value : Number(String(value));
  if (!Number.isInteger(n) || n <= 0 || n > 3650) {
    throw new InputError(`${what} must be a whole number of days from 1 to 3650, got "${String(value)}".`);
  }
  return n;
}
