import { spawn } from 'node:child_process';
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
  /** Set when the command is a known one that the built bundle lacks (built before it existed). */
  missingFromBuild?: string;
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
  const where = (u: UnknownJob) => (u.index >= 0 ? `job "${u.name}" (schedule.jobs[${u.index}].args)` : `job "${u.name}"`);
  const lines = unknown.map((u) =>
    u.missingFromBuild ? `${where(u)} runs "web4 ${u.args.join(' ')}", which the built bundle ${u.missingFromBuild} does not have` : `${where(u)} runs "web4 ${u.args.join(' ')}", which is not a command a job can run`,
  );
  const stale = unknown.some((u) => u.missingFromBuild);
  return new InputError(`${lines.join('; ')}.`, {
    hint: stale
      ? 'The bundle was built before that command existed: rebuild it with `npx nx run cli:build` (or choose --runner source).'
      : `Make args start with one of: ${formatJobCommands(knownCommands)} (in web4.config.json, schedule.jobs).`,
    details: { unknownJobs: unknown, knownCommands: knownCommands.map((w) => w.join(' ')) },
  });
}

/** The plan, or an InputError when a job names an unknown command (for print and install: nothing half-installed). */
export function requireKnownCommands(plan: SchedulePlan, knownCommands?: readonly (readonly string[])[]): SchedulePlan {
  if (plan.unknown.length) throw unknownCommandsError(plan.unknown, knownCommands);
  return plan;
}

/** True when the runner's `web4 <words> --help` shows that command's own usage (yargs falls back to the parent's). */
function hasCommand(argv: string[], words: readonly string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, [...argv.slice(1), ...words, '--help'], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, COLUMNS: '200' } });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', () => resolve(false));
    child.once('close', (code) => resolve(code === 0 && (out.trimStart().split('\n')[0] ?? '').startsWith(`web4 ${words.join(' ')}`)));
  });
}

/**
 * "In this build": with the built bundle as runner, each job's command is asked of the bundle
 * itself (`--help`, all at once); a command it lacks (a bundle older than the source) moves the
 * job to `unknown`. The source runner is the tree itself, whose commands apps/cli tests
 * against JOB_COMMANDS, so it is not asked.
 */
export async function checkCommandsInBuild(plan: SchedulePlan): Promise<SchedulePlan> {
  if (plan.runner.kind !== 'bundle') return plan;
  const bundle = plan.runner.argv[1] ?? plan.runner.argv[0]!;
  const present = await Promise.all(plan.jobs.map((job) => hasCommand(plan.runner.argv, matchJobCommand(job.args) ?? job.args.slice(0, 2))));
  const missing = plan.jobs.filter((_, i) => !present[i]);
  if (!missing.length) return plan;
  return {
    ...plan,
    jobs: plan.jobs.filter((_, i) => present[i]),
    unknown: [...plan.unknown, ...missing.map((job) => ({ name: job.name, args: job.args, index: -1, missingFromBuild: bundle }))],
  };
}
