import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT_CODES, MARK } from '@web4/core';
import {
  checkCommandsInBuild,
  Crontab,
  findRepoRoot,
  planSchedule,
  renderCrontabBlock,
  requireKnownCommands,
  resolveJobRunner,
  rotateLogs,
  runUntilSignal,
  type RunnerChoice,
  type SchedulePlan,
} from '@web4/scheduling';
import type { Argv, CommandModule } from 'yargs';
import { createContext, runCommand, type CommandContext, type GlobalArgs } from '../context.js';

interface ScheduleArgs extends GlobalArgs {
  runner: RunnerChoice;
  user?: string;
}

/** The configured jobs with this checkout's runner; commands checked against the built bundle when that is the runner. */
async function plan(ctx: CommandContext, args: ScheduleArgs): Promise<SchedulePlan> {
  const self = fileURLToPath(import.meta.url);
  // Built, this code is the CLI bundle itself: jobs run that same bundle.
  const runner = resolveJobRunner(findRepoRoot(dirname(self)), args.runner, self.endsWith('.js') ? { bundle: self } : {});
  return checkCommandsInBuild(planSchedule(ctx.config, { runner, ...(args.config ? { configFile: resolve(args.config) } : {}) }));
}

async function print(args: ScheduleArgs): Promise<number> {
  const ctx = createContext(args);
  const p = requireKnownCommands(await plan(ctx, args));
  const lines = renderCrontabBlock(p);
  ctx.emit({ runner: p.runner, jobs: p.jobs, lines });
  if (!ctx.json) process.stdout.write(lines.join('\n') + '\n');
  return EXIT_CODES.ok;
}

async function install(args: ScheduleArgs): Promise<number> {
  const ctx = createContext(args);
  const p = requireKnownCommands(await plan(ctx, args));
  const result = new Crontab(args.user ? { user: args.user } : {}).install(p);
  ctx.emit({ runner: p.runner, jobs: p.jobs, ...result });
  ctx.say(`${MARK.pass} ${result.replaced ? 'replaced' : 'installed'} ${p.jobs.length} jobs for ${p.stateRoot} in the crontab of ${args.user ?? 'this user'} (${result.otherLines} other lines kept)`);
  ctx.say(`  runner: ${p.runner.describe}`);
  for (const job of p.jobs) ctx.say(`  ${job.cron.padEnd(12)} ${job.name.padEnd(20)} web4 ${job.args.join(' ')}  → ${job.logFile}`);
  return EXIT_CODES.ok;
}

async function uninstall(args: ScheduleArgs): Promise<number> {
  const ctx = createContext(args);
  const result = new Crontab(args.user ? { user: args.user } : {}).uninstall(ctx.config.stateRoot);
  ctx.emit(result);
  ctx.say(result.removed ? `${MARK.pass} removed the jobs of ${ctx.config.stateRoot} from the crontab; other lines kept` : `no jobs of ${ctx.config.stateRoot} in the crontab: nothing to remove`);
  return EXIT_CODES.ok;
}

async function run(args: ScheduleArgs): Promise<number> {
  const ctx = createContext(args, 'scheduler.log');
  const p = await plan(ctx, args);
  ctx.say(`Scheduler for ${p.stateRoot} (${p.timezone}); runner: ${p.runner.describe}. SIGTERM or Ctrl-C stops it.`);
  return runUntilSignal(p, { logger: ctx.logger, say: (line) => ctx.say(line), rotation: ctx.config.schedule.logRotation });
}

async function rotate(args: GlobalArgs): Promise<number> {
  const ctx = createContext(args);
  const report = await rotateLogs(ctx.paths.logsDir, ctx.config.schedule.logRotation);
  ctx.emit(report);
  for (const r of report.rotated) ctx.say(`renamed    ${r.from} → ${r.to}`);
  for (const f of report.compressed) ctx.say(`compressed ${f} → ${f}.gz`);
  for (const f of report.deleted) ctx.say(`deleted    ${f}`);
  for (const f of report.inUse) ctx.say(`in use     ${f} (a run in progress: left alone)`);
  ctx.say(`${MARK.pass} ${report.logsDir}: ${report.rotated.length} renamed, ${report.compressed.length} compressed, ${report.deleted.length} deleted`);
  return EXIT_CODES.ok;
}

const runnerOption = (y: Argv) =>
  y.option('runner', {
    choices: ['auto', 'bundle', 'source'] as const,
    default: 'auto' as const,
    describe: 'What jobs run: the built bundle dist/apps/cli/main.js (bundle), tools/web4.mjs from source (source), or the bundle when built (auto)',
  });
const userOption = (y: Argv) => y.option('user', { type: 'string', describe: "Another user's crontab (crontab -u; root only)" });

export const scheduleCommand: CommandModule<object, GlobalArgs> = {
  command: 'schedule <command>',
  describe: 'The nightly and morning jobs: crontab lines (print, install, uninstall), or run them in this process',
  builder: (y) =>
    y
      .command<ScheduleArgs>('print', 'The crontab lines of this state root (exit 2: a job names an unknown command, or cron cannot take the schedule)', runnerOption, (a) => runCommand(a, () => print(a)))
      .command<ScheduleArgs>('install', "Put the lines into the user's crontab, replacing this root's earlier ones; every other line is kept", (yy) => userOption(runnerOption(yy)), (a) => runCommand(a, () => install(a)))
      .command<ScheduleArgs>('uninstall', "Remove this root's lines from the crontab; every other line is kept", userOption, (a) => runCommand(a, () => uninstall(a)))
      .command<ScheduleArgs>('run', 'Run the jobs in this process until SIGTERM/Ctrl-C (an overlapping run is skipped; exit 0 when running jobs ended after SIGTERM)', runnerOption, (a) => runCommand(a, () => run(a)))
      .command<GlobalArgs>('rotate-logs', 'Rotate logs/*.log now: rename appended logs, gzip old ones, delete old .gz (schedule.logRotation); logs in use are left alone', (yy) => yy, (a) => runCommand(a, () => rotate(a)))
      .demandCommand(1, 'Name a subcommand: print, install, uninstall, run or rotate-logs.') as never,
  handler: () => undefined,
};
