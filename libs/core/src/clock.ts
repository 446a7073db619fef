/**
 * The one clock. Code asks the clock for "now" instead of calling `new Date()`, so that tests
 * (and `--date`) can set "today".
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock stopped at one instant; `advance` moves it. */
export class FixedClock implements Clock {
  private current: number;
  constructor(at: Date | string | number) {
    this.current = new Date(at).getTime();
    if (Number.isNaN(this.current)) throw new RangeError(`FixedClock: not a date: ${String(at)}`);
  }
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

/** `YYYY-MM-DD` of a date in UTC (the journal's dates are UTC). */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** `YYYYMMDD_HHMMSS` in UTC, the plan's timestamp for log and archive file names. */
export function fileStamp(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}_${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/**
 * A clock that starts at `start` and runs at real speed: a nightly run "as of" a given instant
 * (WEB4_NOW, a replayed day) still shows how long each step took.
 */
export class RunningClock implements Clock {
  private readonly origin = performance.now();
  private readonly start: number;
  constructor(start: Date) {
    this.start = start.getTime();
  }
  now(): Date {
    return new Date(this.start + (performance.now() - this.origin));
  }
}
