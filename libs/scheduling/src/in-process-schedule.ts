import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { Cron } from 'croner';
import type { Logger } from '@web4/core';
import { formatJobCommands, JOB_COMMANDS } from './job-commands.js';
import type { PlannedJob, SchedulePlan } from './schedule-plan.js';

/** What the scheduler did, one event at a time (also logged). */
export type ScheduleEvent =
  | { event: 'scheduled'; job: string; cron: string; next: string | null }
  | { event: 'unknown-command'; job: string; args: string[]; knownCommands: string; missingFromBuild?: string }
  | { event: 'started'; job: string; pid: number | undefined; logFile: string }
  | { event: 'finished'; job: string; exitCode: number; signal: string | null; durationMs: number }
  | { event: 'skipped-overlap'; job: string; runningSinceMs: number }
  | { event: 'stopping'; running: string[] }
  | { event: 'stopped'; clean: boolean; killed: string[] };

export interface RunScheduleOptions {
  logger?: Logger;
  onEvent?: (event: ScheduleEvent) => void;
  /** Runs the log-rotation job in this process (instead of spawning `web4 schedule rotate-logs`). */
  rotateLogs?: () => Promise<unknown>;
  /** How long `stop()` waits for running jobs after SIGTERM before SIGKILL (default 60 s). */
  stopTimeoutMs?: number;
}

export interface StopReport {
  /** True when every running job ended after SIGTERM within the bound. */
  clean: boolean;
  /** Jobs that had to be killed (SIGKILL) after the bound. */
  killed: string[];
}

/** A started schedule: its timers, its running jobs, and the way to stop it. */
export interface RunningSchedule {
  /** Names of the jobs running now. */
  running(): string[];
  /** Next fire time of each scheduled job. */
  nextRuns(): Array<{ job: string; next: Date | null }>;
  /**
   * No new runs; running jobs get SIGTERM and are awaited up to `stopTimeoutMs`, then killed.
   * Resolves when every job has ended.
   */
  stop(): Promise<StopReport>;
}

interface Running {
  child: ChildProcess | undefined;
  since: number;
  done: Promise<void>;
}

/**
 * The in-process alternative to crontab (croner): the same plan, one process. A job still running
 * when its next time comes is skipped and logged (croner's `protect`); jobs naming an unknown
 * command are reported and never scheduled; each job's output goes to its `logs/cron_<name>.log`.
 */
export function runSchedule(plan: SchedulePlan, options: RunScheduleOptions = {}): RunningSchedule {
  const emit = (event: ScheduleEvent) => {
    const level = event.event === 'unknown-command' || (event.event === 'finished' && event.exitCode !== 0) || event.event === 'skipped-overlap' ? 'warn' : 'info';
    options.logger?.[level](event, event.event);
    options.onEvent?.(event);
  };
  const running = new Map<string, Running>();
  let stopping = false;

  for (const u of plan.unknown) emit({ event: 'unknown-command', job: u.name, args: u.args, knownCommands: formatJobCommands(JOB_COMMANDS), ...(u.missingFromBuild ? { missingFromBuild: u.missingFromBuild } : {}) });

  const runJob = async (job: PlannedJob): Promise<void> => {
    if (stopping) return;
    const started = Date.now();
    let finish!: () => void;
    const entry: Running = { child: undefined, since: started, done: new Promise<void>((r) => (finish = r)) };
    running.set(job.name, entry);
    try {
      if (job.kind === 'log-rotation' && options.rotateLogs) {
        emit({ event: 'started', job: job.name, pid: process.pid, logFile: job.logFile });
        let exitCode = 0;
        try {
          await options.rotateLogs();
        } catch (error) {
          exitCode = 1;
          options.logger?.error({ job: job.name, err: error }, 'log rotation failed');
        }
        emit({ event: 'finished', job: job.name, exitCode, signal: null, durationMs: Date.now() - started });
        return;
      }
      mkdirSync(plan.logsDir, { recursive: true });
      const out = openSync(job.logFile, 'a');
      let child: ChildProcess;
      try {
        child = spawn(job.command[0]!, job.command.slice(1), { cwd: plan.stateRoot, stdio: ['ignore', out, out] });
      } finally {
        closeSync(out);
      }
      entry.child = child;
      emit({ event: 'started', job: job.name, pid: child.pid, logFile: job.logFile });
      const { code, signal } = await new Promise<{ code: number; signal: string | null }>((resolve) => {
        child.once('error', () => resolve({ code: 127, signal: null }));
        child.once('exit', (c, s) => resolve({ code: c ?? 128, signal: s }));
      });
      emit({ event: 'finished', job: job.name, exitCode: code, signal, durationMs: Date.now() - started });
    } finally {
      running.delete(job.name);
      finish();
    }
  };

  const timers = plan.jobs.map(
    (job) =>
      new Cron(
        job.cron,
        {
          name: `${plan.stateRoot}:${job.name}`,
          timezone: plan.timezone,
          protect: () => emit({ event: 'skipped-overlap', job: job.name, runningSinceMs: Date.now() - (running.get(job.name)?.since ?? Date.now()) }),
          catch: (error) => options.logger?.error({ job: job.name, err: error }, 'job failed to start'),
        },
        () => runJob(job),
      ),
  );
  for (const [i, timer] of timers.entries()) emit({ event: 'scheduled', job: plan.jobs[i]!.name, cron: plan.jobs[i]!.cron, next: timer.nextRun()?.toISOString() ?? null });

  return {
    running: () => [...running.keys()],
    nextRuns: () => timers.map((t, i) => ({ job: plan.jobs[i]!.name, next: t.nextRun() })),
    stop: async () => {
      stopping = true;
      for (const timer of timers) timer.stop();
      const now = [...running.entries()];
      emit({ event: 'stopping', running: now.map(([name]) => name) });
      for (const [, r] of now) r.child?.kill('SIGTERM');
      const bound = options.stopTimeoutMs ?? 60_000;
      let timer: NodeJS.Timeout | undefined;
      const allDone = Promise.all(now.map(([, r]) => r.done)).then(() => true);
      const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), bound)));
      const clean = await Promise.race([allDone, timedOut]);
      clearTimeout(timer);
      const killed: string[] = [];
      if (!clean) {
        for (const [name, r] of running.entries()) {
          killed.push(name);
          r.child?.kill('SIGKILL');
        }
        await allDone;
      }
      emit({ event: 'stopped', clean, killed });
      return { clean, killed };
    },
  };
}
