import type { Logger } from '@web4/core';
import { runSchedule, type ScheduleEvent } from './in-process-schedule.js';
import { rotateLogs } from './log-rotation.js';
import type { SchedulePlan } from './schedule-plan.js';

export interface RunUntilSignalOptions {
  logger?: Logger;
  /** One line per event for people (the scheduler's stdout). */
  say?: (line: string) => void;
  rotation: { compressAfterDays: number; deleteAfterDays: number };
  stopTimeoutMs?: number;
}

/** A line for people about one scheduler event. */
export function describeEvent(e: ScheduleEvent): string {
  switch (e.event) {
    case 'scheduled':
      return `${e.job}: "${e.cron}", next run ${e.next ?? 'never'}`;
    case 'unknown-command':
      return e.missingFromBuild
        ? `⚠️ ${e.job}: "web4 ${e.args.join(' ')}" is not in the built bundle ${e.missingFromBuild}; not scheduled (rebuild: npx nx run cli:build)`
        : `⚠️ ${e.job}: "web4 ${e.args.join(' ')}" is not a command a job can run; not scheduled (known: ${e.knownCommands})`;
    case 'started':
      return `${e.job}: started (pid ${e.pid}), output in ${e.logFile}`;
    case 'finished':
      return `${e.exitCode === 0 ? '✓' : '⚠️'} ${e.job}: exit ${e.exitCode}${e.signal ? ` (${e.signal})` : ''} after ${(e.durationMs / 1000).toFixed(1)} s`;
    case 'skipped-overlap':
      return `⚠️ ${e.job}: skipped, the previous run is still going (${(e.runningSinceMs / 1000).toFixed(0)} s)`;
    case 'stopping':
      return `stopping${e.running.length ? `: SIGTERM to ${e.running.join(', ')}` : ''}`;
    case 'stopped':
      return e.clean ? 'stopped' : `stopped; killed after the wait: ${e.killed.join(', ')}`;
  }
}

/**
 * `schedule run`: the plan in this process until SIGTERM or SIGINT, then a clean stop (running
 * jobs get SIGTERM and are awaited). Resolves to the exit code: 0 when every job ended by itself
 * within the wait, 1 when one had to be killed. Log rotation runs in this process.
 */
export async function runUntilSignal(plan: SchedulePlan, options: RunUntilSignalOptions): Promise<number> {
  const schedule = runSchedule(plan, {
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.stopTimeoutMs !== undefined ? { stopTimeoutMs: options.stopTimeoutMs } : {}),
    onEvent: (e) => options.say?.(describeEvent(e)),
    rotateLogs: async () => {
      const report = await rotateLogs(plan.logsDir, options.rotation);
      options.logger?.info({ report }, 'logs rotated');
      options.say?.(`log-rotation: ${report.rotated.length} renamed, ${report.compressed.length} compressed, ${report.deleted.length} deleted, ${report.inUse.length} in use (left alone)`);
    },
  });
  // Listen to the end: a second signal (a wrapper forwarding the one the process group got,
  // an impatient Ctrl-C) must not kill us mid-stop; the stop's own bound ends the wait.
  let first: (signal: NodeJS.Signals) => void = () => undefined;
  const signalled = new Promise<NodeJS.Signals>((resolve) => (first = resolve));
  const onSignal = (signal: NodeJS.Signals) => first(signal);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const signal = await signalled;
  options.logger?.info({ signal }, 'scheduler stopping');
  const report = await schedule.stop();
  // The listeners stay: a signal that arrives while the process winds down must not kill it.
  return report.clean ? 0 : 1;
}
