/** ✓/⚠️ marks against targets, shared by every report. */
export type TargetStatus = 'pass' | 'warn' | 'unknown';

export const MARK: Record<TargetStatus, string> = { pass: '✓', warn: '⚠️', unknown: '–' };

export function withinRange(value: number | null | undefined, range: { min: number; max: number }): TargetStatus {
  if (value === null || value === undefined || Number.isNaN(value)) return 'unknown';
  return value >= range.min && value <= range.max ? 'pass' : 'warn';
}

export function atMost(value: number | null | undefined, limit: number): TargetStatus {
  if (value === null || value === undefined || Number.isNaN(value)) return 'unknown';
  return value <= limit ? 'pass' : 'warn';
}

export function atLeast(value: number | null | undefined, limit: number): TargetStatus {
  if (value === null || value === undefined || Number.isNaN(value)) return 'unknown';
  return value >= limit ? 'pass' : 'warn';
}
