import { EXIT_CODES, type TargetStatus } from '@web4/core';

/**
 * What a report says about its targets as a whole:
 * - `met`: every target it judges was checked and met (✓);
 * - `missed`: at least one target was checked and missed (⚠️), whatever the others say;
 * - `unknown`: none missed, but at least one could not be checked (–, e.g. no queries in the
 *   window): there is nothing (or not enough) to judge, which is not the same as "all met".
 */
export type ReportVerdict = 'met' | 'missed' | 'unknown';

/** How many of the judged targets were met, missed and could not be checked. */
export interface VerdictCounts {
  met: number;
  missed: number;
  unknown: number;
}

/** Figures shown without a target (graph hit rate, categories without a range) are left out by the caller. */
export function reportVerdict(statuses: readonly TargetStatus[]): { verdict: ReportVerdict; counts: VerdictCounts } {
  const counts: VerdictCounts = {
    met: statuses.filter((s) => s === 'pass').length,
    missed: statuses.filter((s) => s === 'warn').length,
    unknown: statuses.filter((s) => s === 'unknown').length,
  };
  const verdict: ReportVerdict = counts.missed > 0 ? 'missed' : counts.unknown > 0 || counts.met === 0 ? 'unknown' : 'met';
  return { verdict, counts };
}

/** The exit code of a report command: 0 met, 1 missed, 5 nothing to judge (`web4 --help`). */
export function verdictExitCode(verdict: ReportVerdict): number {
  return verdict === 'met' ? EXIT_CODES.ok : verdict === 'missed' ? EXIT_CODES.checkFailed : EXIT_CODES.nothingToJudge;
}
