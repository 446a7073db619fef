import { InputError, resolvePaths, type Web4Config } from '@web4/core';
import { join } from 'node:path';
import { formatJobCommands, JOB_COMMANDS, matchJobCommand } from './job-commands.js';
import type { JobRunner } from './job-runner.js';

/** One job as it will run: its time, the full command line, and where its output goes. */
export interface PlannedJob {
  name: string;
  cron: string;
  /** The `web4` arguments from the config (the rotation job: ["schedule", "rotate-logs"]). */
  args: string[];
  /** Program and arguments, absolute: runner + args + `--root <stateRoot>` (+ `--config`). */
  command: string[];
  /** stdout and stderr of the job: `<logs>/cron_<name>.log`. */
  logFile: string;
  kind: 'job' | 'log-rotation';
}

export interface UnknownJob {
  name: string;
  args: string[];
  /** Index in `schedule.jobs`, for the error's setting path. */
  index: number;
}

export interface SchedulePlan {
  stateRoot: string;
  logsDir: string;
  timezone: string;
  runner: JobRunner;
  /** The config file the jobs are given (`--config`), when one was named explicitly. */
  configFile: string | undefined;
  /** Jobs whose command a job may run, in config order, then the log rotation (when enabled). */
  jobs: PlannedJob[];
  /** Jobs naming a command that is not one a job can run: reported, never run. */
  unknown: UnknownJob[];
}

export interface PlanOptions {
  runner: JobRunner;
  /** An explicitly chosen config file (else each job reads `<stateRoot>/web4.config.json`). */
  configFile?: string;
  /** Commands a job may run (default: JOB_COMMANDS). */
  knownCommands?: readonly (readonly string[])[];
}

/** The configured jobs, resolved against this state root and runner. Checks nothing beyond the commands. */
export function planSchedule(config: Web4Config, options: PlanOptions): SchedulePlan {
  const known = options.knownCommands ?? JOB_COMMANDS;
  const logsDir = resolvePaths(config).logsDir;
  const tail = ['--root', config.stateRoot, ...(options.configFile ? ['--config', options.configFile] : [])];
  const planned = (name: string, cron: string, args: string[], kind: PlannedJob['kind']): PlannedJob => ({
    name,
    cron,
    args,
    command: [...options.runner.argv, ...args, ...tail],
    logFile: join(logsDir, `cron_${name}.log`),
    kind,
  });
  const jobs: PlannedJob[] = [];
  const unknown: UnknownJob[] = [];
  config.schedule.jobs.forEach((job, index) => {
    if (matchJobCommand(job.args, known)) jobs.push(planned(job.name, job.cron, job.args, 'job'));
    else unknown.push({ name: job.name, args: job.args, index });
  });
  const rotation = config.schedule.logRotation;
  if (rotation.enabled) jobs.push(planned('log-rotation', rotation.cron, ['schedule', 'rotate-logs'], 'log-rotation'));
  return { stateRoot: config.stateRoot, logsDir, timezone: config.schedule.timezone, runner: options.runner, configFile: options.configFile, jobs, unknown };
}

/** The error for jobs naming unknown commands: which job, what it names, the commands a job can run. */
export function unknownCommandsError(unknown: UnknownJob[], knownCommands: readonly (readonly string[])[] = JOB_COMMANDS): InputError {
  const lines = unknown.map((u) => `job "${u.name}" (schedule.jobs[${u.index}].args) runs "web4 ${u.args.join(' ')}", which is not a command a job can run`);
  return new InputError(`${lines.join('; ')}.`, {
    hint: `Make args start with one of: ${formatJobCommands(knownCommands)} (in web4.config.json, schedule.jobs).`,
    details: { unknownJobs: unknown, knownCommands: knownCommands.map((w) => w.join(' ')) },
  });
}

/** The plan, or an InputError when a job names an unknown command (for print and install: nothing half-installed). */
export function requireKnownCommands(plan: SchedulePlan, knownCommands?: readonly (readonly string[])[]): SchedulePlan {
  if (plan.unknown.length) throw unknownCommandsError(plan.unknown, knownCommands);
  return plan;
}
