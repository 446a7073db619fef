import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, isWeb4Error, loadConfig, resolvePaths } from '@web4/core';
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
} from '@web4/scheduling';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';

/**
 * The scheduler bundle (dist/apps/scheduler/main.js): the same jobs as `web4 schedule`, for a
 * service manager or a container. Logic: libs/scheduling.
 *
 *   node dist/apps/scheduler/main.js [run|print|install|uninstall|rotate-logs] [--root DIR] [--config FILE]
 */
interface Args {
  root?: string;
  config?: string;
  runner: RunnerChoice;
  user?: string;
}

/** yargs types a command's arguments from its own builder; the options are declared once, globally. */
const opts = (a: unknown) => a as Args;

function load(args: Args) {
  const { config } = loadConfig({ ...(args.root !== undefined ? { root: args.root } : {}), ...(args.config !== undefined ? { configFile: args.config } : {}) });
  const self = fileURLToPath(import.meta.url);
  // Built (dist/apps/scheduler/main.js), jobs run the CLI bundle built beside it (dist/apps/cli/main.js).
  const runner = resolveJobRunner(findRepoRoot(dirname(self)), args.runner, self.endsWith('.js') ? { bundle: resolve(dirname(self), '../cli/main.js') } : {});
  const plan = planSchedule(config, { runner, ...(args.config ? { configFile: resolve(args.config) } : {}) });
  return { config, plan };
}

async function main(argv: string[]): Promise<number> {
  let code = 0;
  const say = (line: string) => process.stdout.write(line + '\n');
  const crontab = (args: Args) => new Crontab(args.user ? { user: args.user } : {});
  await yargs(argv)
    .scriptName('scheduler')
    .option('root', { type: 'string', describe: 'State root. Default: WEB4_STATE_ROOT or the working directory' })
    .option('config', { type: 'string', describe: 'Config file. Default: <root>/web4.config.json' })
    .option('runner', { choices: ['auto', 'bundle', 'source'] as const, default: 'auto' as const, describe: 'What jobs run: the built CLI bundle, tools/web4.mjs, or the bundle when built' })
    .option('user', { type: 'string', describe: "Another user's crontab (root only)" })
    .command(['run', '$0'], 'Run the jobs until SIGTERM/Ctrl-C (exit 0 when running jobs ended after SIGTERM)', {}, async (a) => {
      const { config, plan } = load(opts(a));
      const logger = createLogger({ file: resolve(resolvePaths(config).logsDir, 'scheduler.log'), level: config.logging.level, console: false, name: 'scheduler' });
      say(`Scheduler for ${plan.stateRoot} (${plan.timezone}); runner: ${plan.runner.describe}`);
      code = await runUntilSignal(await checkCommandsInBuild(plan), { logger, say, rotation: config.schedule.logRotation });
    })
    .command('print', 'The crontab lines of this state root', {}, async (a) => {
      say(renderCrontabBlock(requireKnownCommands(await checkCommandsInBuild(load(opts(a)).plan))).join('\n'));
    })
    .command('install', "Put them into the crontab (idempotent; other lines kept)", {}, async (a) => {
      const plan = requireKnownCommands(await checkCommandsInBuild(load(opts(a)).plan));
      const result = crontab(opts(a)).install(plan);
      say(`${result.replaced ? 'replaced' : 'installed'} ${plan.jobs.length} jobs for ${plan.stateRoot}; ${result.otherLines} other lines kept`);
    })
    .command('uninstall', "Remove this root's lines from the crontab", {}, (a) => {
      const { config } = load(opts(a));
      say(crontab(opts(a)).uninstall(config.stateRoot).removed ? `removed the jobs of ${config.stateRoot}` : `no jobs of ${config.stateRoot} in the crontab`);
    })
    .command('rotate-logs', 'Rotate logs/*.log now (schedule.logRotation)', {}, async (a) => {
      const { config, plan } = load(opts(a));
      const report = await rotateLogs(plan.logsDir, config.schedule.logRotation);
      say(`${plan.logsDir}: ${report.rotated.length} renamed, ${report.compressed.length} compressed, ${report.deleted.length} deleted, ${report.inUse.length} in use`);
    })
    .strict()
    .help()
    .fail((message, error) => {
      if (error) throw error;
      process.stderr.write(`error: ${message}\nRun \`scheduler --help\` for usage.\n`);
      code = 2;
    })
    .parseAsync();
  return code;
}

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
    // pino's file transport and stray timers must not keep a stopped scheduler alive.
    setTimeout(() => process.exit(code), 2_000).unref();
  },
  (error: unknown) => {
    process.stderr.write(`error: ${isWeb4Error(error) ? error.toUserString() : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = isWeb4Error(error) ? error.exitCode : 1;
  },
);
