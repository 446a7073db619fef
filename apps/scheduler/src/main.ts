import { createLogger, loadConfig, resolvePaths, type Web4Config } from '@web4/core';
import { Cron } from 'croner';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The scheduler: runs the configured jobs (config `schedule.jobs`: cron expression + `web4`
 * arguments) in one long-running process, or prints / installs the equivalent crontab lines.
 *
 *   node dist/apps/scheduler/main.js [run|print|install] [--root DIR]
 */
const USAGE = 'usage: scheduler [run|print|install] [--root DIR] [--config FILE]';
const MARK_BEGIN = '# >>> web4-learning schedule >>>';
const MARK_END = '# <<< web4-learning schedule <<<';

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** The CLI that jobs run: the built bundle beside this one, else the source entry. */
function cliCommand(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  const bundled = resolve(here, '../cli/main.js');
  if (existsSync(bundled)) return [process.execPath, bundled];
  const repoEntry = resolve(here, '../../../tools/web4.mjs');
  return [process.execPath, repoEntry];
}

function crontabLines(config: Web4Config): string[] {
  const cli = cliCommand().map(quote).join(' ');
  const logs = resolvePaths(config).logsDir;
  return [
    MARK_BEGIN,
    `CRON_TZ=${config.schedule.timezone}`,
    ...config.schedule.jobs.map(
      (job) => `${job.cron} cd ${quote(config.stateRoot)} && ${cli} ${job.args.map(quote).join(' ')} --root ${quote(config.stateRoot)} >> ${quote(join(logs, `cron_${job.name}.log`))} 2>&1`,
    ),
    MARK_END,
  ];
}

function quote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const command = args[0] && !args[0].startsWith('--') ? args[0] : 'run';
  const root = argValue(args, '--root');
  const configFile = argValue(args, '--config');
  const { config } = loadConfig({ ...(root ? { root } : {}), ...(configFile ? { configFile } : {}) });

  if (command === 'print') {
    process.stdout.write(crontabLines(config).join('\n') + '\n');
    return 0;
  }
  if (command === 'install') {
    const current = spawnSync('crontab', ['-l'], { encoding: 'utf8' });
    if (current.error) {
      process.stderr.write('error: `crontab` is not installed.\n  → install cron (Debian: apt-get install cron), or run `scheduler run` as a service instead.\n');
      return 4;
    }
    const kept = (current.status === 0 ? current.stdout : '').split('\n');
    const begin = kept.indexOf(MARK_BEGIN);
    const end = kept.indexOf(MARK_END);
    const others = begin >= 0 && end > begin ? [...kept.slice(0, begin), ...kept.slice(end + 1)] : kept;
    const next = [...others.filter((l, i) => l !== '' || i < others.length - 1), ...crontabLines(config)].join('\n') + '\n';
    const r = spawnSync('crontab', ['-'], { input: next, encoding: 'utf8' });
    if (r.status !== 0) {
      process.stderr.write(`error: crontab refused the new table: ${r.stderr}\n`);
      return 4;
    }
    process.stdout.write(`installed ${config.schedule.jobs.length} jobs into the user crontab\n`);
    return 0;
  }
  if (command !== 'run') {
    process.stderr.write(`error: unknown command "${command}"\n${USAGE}\n`);
    return 2;
  }

  const paths = resolvePaths(config);
  const logger = createLogger({ file: join(paths.logsDir, 'scheduler.log'), level: config.logging.level, name: 'scheduler' });
  const cli = cliCommand();
  const jobs = config.schedule.jobs.map(
    (job) =>
      new Cron(job.cron, { timezone: config.schedule.timezone, protect: true, name: job.name }, async () => {
        const started = Date.now();
        logger.info({ job: job.name, args: job.args }, 'job started');
        const code = await new Promise<number>((done) => {
          const child = spawn(cli[0]!, [...cli.slice(1), ...job.args, '--root', config.stateRoot], { stdio: 'inherit', cwd: config.stateRoot });
          child.on('exit', (c, signal) => done(c ?? (signal ? 128 : 1)));
          child.on('error', () => done(127));
        });
        const log = code === 0 ? logger.info.bind(logger) : logger.error.bind(logger);
        log({ job: job.name, exitCode: code, durationMs: Date.now() - started }, 'job finished');
      }),
  );
  for (const job of jobs) logger.info({ job: job.name, next: job.nextRun()?.toISOString() }, 'scheduled');
  process.stdout.write(jobs.map((j) => `${j.name}: next run ${j.nextRun()?.toISOString()}`).join('\n') + '\n');
  await new Promise<void>((done) => {
    const stop = () => {
      for (const job of jobs) job.stop();
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
