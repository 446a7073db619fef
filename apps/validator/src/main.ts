import { formatMorningHistory, formatMorningSummary, formatQueryLine, morningHistory, validateServedModel } from '@web4/canary-suite';
import { createLogger, FixedClock, isWeb4Error, loadConfig, resolvePaths, systemClock } from '@web4/core';
import { servicesFromConfig } from '@web4/local-services';
import { MetricsReader } from '@web4/metrics-store';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';

/**
 * The morning check for cron (dist/apps/validator/main.js): the same check as `web4 validate`,
 * logic in libs/canary-suite. Exit 0 when the pass rate meets `validation.minPassRatePct`, 1
 * when it does not, 2 for bad input, 4 when Ollama is down.
 *
 *   node dist/apps/validator/main.js [--root DIR] [--config FILE] [--model NAME] [--queries FILE] [--json]
 *   node dist/apps/validator/main.js --history [--days N] [--json]
 */
interface Args {
  root?: string;
  config?: string;
  model?: string;
  queries?: string;
  json: boolean;
  history: boolean;
  days: number;
}

async function run(args: Args): Promise<number> {
  const { config } = loadConfig({ ...(args.root !== undefined ? { root: args.root } : {}), ...(args.config !== undefined ? { configFile: args.config } : {}) });
  const paths = resolvePaths(config);
  // WEB4_NOW: "as of" another instant, as for the CLI.
  const clock = process.env.WEB4_NOW ? new FixedClock(process.env.WEB4_NOW) : systemClock;
  const out = (line: string) => {
    if (!args.json) process.stdout.write(line + '\n');
  };
  const json = (value: unknown) => {
    if (args.json) process.stdout.write(JSON.stringify(value, null, 2) + '\n');
  };
  if (args.history) {
    // Where storage.url says: with PostgreSQL, the checks every state root published there.
    const reader = await MetricsReader.open(config, paths);
    try {
      const days = await morningHistory(reader, { days: args.days, now: clock.now() });
      json({ days: args.days, alertDropPct: config.validation.alertDropPct, history: days });
      for (const line of formatMorningHistory(days)) out(line);
    } finally {
      await reader.close();
    }
    return 0;
  }
  const logger = createLogger({ file: join(paths.logsDir, 'morning_validation.log'), console: false, level: config.logging.level, name: 'validator' });
  const ollama = await servicesFromConfig(config, paths).ollama.status();
  if (ollama.state !== 'running' || !ollama.url) {
    process.stderr.write('error: Ollama is not running.\n  → start it with `web4 services up` (or set services.ollama.url)\n');
    return 4;
  }
  out(`Morning validation against ${ollama.url}`);
  const result = await validateServedModel(config, {
    ollamaUrl: ollama.url,
    clock,
    logger,
    ...(args.model ? { model: args.model } : {}),
    ...(args.queries ? { queriesFile: args.queries } : {}),
    onCase: (r, i, total) => {
      logger.info({ case: r.id, passed: r.pass, latencyMs: Math.round(r.latencyMs), error: r.error, assertions: r.assertions }, 'validation case');
      out(formatQueryLine(r, i, total));
    },
  });
  logger.info(
    { model: result.model, modelVersion: result.modelVersion, modelDigest: result.modelDigest, passed: result.passed, total: result.total, passRatePct: result.passRatePct, pass: result.pass, changePct: result.trend.changePct, flipped: result.trend.flipped },
    'validation finished',
  );
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
  json(result);
  if (result.unreachable) {
    process.stderr.write(`error: ${result.model} could not be asked: ${result.results[0]?.error ?? 'no answer'}\n`);
    return 4;
  }
  out('');
  for (const line of formatMorningSummary(result)) out(line);
  return result.pass ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  let badInput = false;
  const args = await yargs(argv)
    .scriptName('validator')
    .usage('$0 [--model NAME] [--queries FILE] [--json] | --history [--days N] [--json]\n\nexit: 0 pass, 1 fail, 2 bad input, 4 Ollama unreachable')
    .option('root', { type: 'string', describe: 'State root. Default: WEB4_STATE_ROOT or the working directory' })
    .option('config', { type: 'string', describe: 'Config file. Default: <root>/web4.config.json' })
    .option('model', { type: 'string', describe: 'Ollama model (default: production if Ollama has it, else the base model)' })
    .option('queries', { type: 'string', describe: 'Case file (default validation.queriesFile)' })
    .option('json', { type: 'boolean', default: false, describe: 'The result as JSON on stdout' })
    .option('history', { type: 'boolean', default: false, describe: 'The stored checks per day: rate, version, change, flipped queries (asks no model)' })
    .option('days', { type: 'number', default: 7, describe: 'Days shown by --history (today included)' })
    .strict()
    .help()
    .fail((message, error) => {
      if (error) throw error;
      process.stderr.write(`error: ${message}\nRun \`validator --help\` for usage.\n`);
      badInput = true;
    })
    .parseAsync();
  if (badInput) return 2;
  if (!Number.isInteger(args.days) || args.days < 1) {
    process.stderr.write(`error: --days must be a whole number ≥ 1, got ${String(args.days)}\nRun \`validator --help\` for usage.\n`);
    return 2;
  }
  return run(args as Args);
}

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${isWeb4Error(error) ? error.toUserString() : String(error)}\n`);
    process.exitCode = isWeb4Error(error) ? error.exitCode : 1;
  },
);
