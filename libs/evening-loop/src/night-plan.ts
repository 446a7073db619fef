/**
 * The steps of a night, in the order of DESIGN.md's nightly loop. Each is recorded in the
 * `runs` table before and after it runs (RunRecorder) and is safe to run again, so a night
 * that stopped anywhere continues from the step in flight.
 */
export const NIGHT_STEPS = [
  'lock',
  'backup',
  'read_buffer',
  'samples',
  'train',
  'evaluate',
  'register',
  'canaries',
  'decide',
  'promote',
  'mark_trained',
  'copy_history',
  'archive',
  'clear',
  'reject',
  'prune',
  'summary',
] as const;

export type NightStep = (typeof NIGHT_STEPS)[number];

/** The row that holds the night's own status (beside its steps, in the same table). */
export const NIGHT_ROW = 'night';

/**
 * open: started and not finished (crashed, killed, failed at a step): `resume` continues it.
 * complete: promoted and the buffer moved to history. nothing: no untrained items.
 * rejected: a gate failed, production kept. failed: promoted, but the served model did not
 * answer and was rolled back automatically. abandoned: an open night that had not reached its
 * decision, replaced by a new night (`run` does this; its items are trained by the new night).
 */
export type NightStatus = 'open' | 'complete' | 'nothing' | 'rejected' | 'failed' | 'abandoned';

/** Steps up to here change nothing that production or the buffer depend on. */
export const DECISION_STEP: NightStep = 'decide';

/**
 * The steps still to run, given what the night has decided so far: nothing to learn ends after
 * reading the buffer (and housekeeping); a passed decision promotes and moves the buffer; a failed one rejects.
 */
export function plannedSteps(o: { items?: number; decided?: boolean; pass?: boolean }): NightStep[] {
  const head: NightStep[] = ['backup', 'read_buffer'];
  if (o.items === 0) return [...head, 'prune', 'summary'];
  const gates: NightStep[] = ['samples', 'train', 'evaluate', 'register', 'canaries', 'decide'];
  if (!o.decided) return [...head, ...gates];
  const tail: NightStep[] = o.pass ? ['promote', 'mark_trained', 'copy_history', 'archive', 'clear'] : ['reject'];
  return [...head, ...gates, ...tail, 'prune', 'summary'];
}

export function runIdOf(stamp: string): string {
  return `night_${stamp}`;
}

export function stampOfRun(runId: string): string {
  return runId.replace(/^night_/, '');
}
