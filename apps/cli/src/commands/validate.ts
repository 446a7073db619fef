import { formatMorningHistory, formatMorningSummary, formatQueryLine, morningHistory, validateServedModel } from '@web4/canary-suite';
import { EXIT_CODES, InputError, ServiceError } from '@web4/core';
import { servicesFromConfig } from '@web4/local-services';
import { MetricsReader } from '@web4/metrics-store';
import type { CommandModule } from 'yargs';
import { createContext, modelName, runCommand, type GlobalArgs } from '../context.js';

interface ValidateArgs extends GlobalArgs {
  model?: string;
  queries?: string;
  history: boolean;
  days: number;
}

/** `validate --history`: the trend of the stored morning checks; needs no model. */
async function history(args: ValidateArgs): Promise<number> {
  if (!Number.isInteger(args.days) || args.days < 1) throw new InputError(`--days must be a whole number ≥ 1, got ${String(args.days)}`, { hint: 'e.g. `web4 validate --history --days 30`' });
  const ctx = createContext(args);
  // Where storage.url says: with PostgreSQL, the checks every state root published there.
  const reader = await MetricsReader.open(ctx.config, ctx.paths);
  try {
    const days = await morningHistory(reader, { days: args.days, now: ctx.clock.now() });
    ctx.emit({ days: args.days, alertDropPct: ctx.config.validation.alertDropPct, history: days });
    ctx.say(`Morning checks, last ${args.days} day${args.days === 1 ? '' : 's'} (change in percentage points against the previous day's check; alert beyond −${ctx.config.validation.alertDropPct})`);
    for (const line of formatMorningHistory(days)) ctx.say(line);
  } finally {
    await reader.close();
  }
  return EXIT_CODES.ok;
}

async function validate(args: ValidateArgs): Promise<number> {
  const ctx = createContext(args, 'morning_validation.log');
  const ollama = await servicesFromConfig(ctx.config, ctx.paths).ollama.status();
  if (ollama.state !== 'running' || !ollama.url) throw new ServiceError('Ollama is not running.', { hint: 'Start it with `web4 services up` (or set services.ollama.url).' });
  ctx.say(`Morning validation against ${ollama.url}`);
  const result = await validateServedModel(ctx.config, {
    ollamaUrl: ollama.url,
    clock: ctx.clock,
    logger: ctx.logger,
    ...(args.model ? { model: modelName(ctx.config, args.model)! } : {}),
    ...(args.queries ? { queriesFile: args.queries } : {}),
    onCase: (r, i, total) => {
      ctx.logger.info({ case: r.id, passed: r.pass, latencyMs: Math.round(r.latencyMs), error: r.error }, 'validation case');
      ctx.say(formatQueryLine(r, i, total));
    },
  });
  ctx.logger.info({ model: result.model, modelVersion: result.modelVersion, passed: result.passed, total: result.total, passRatePct: result.passRatePct, pass: result.pass, changePct: result.trend.changePct }, 'validation finished');
  ctx.emit(result);
  if (result.unreachable) throw new ServiceError(`${result.model} could not be asked: ${result.results[0]?.error ?? 'no answer'}`, { hint: 'Check `web4 services status`; the model must be listed by Ollama.' });
  ctx.say('');
  for (const line of formatMorningSummary(result)) ctx.say(line);
  return result.pass ? EXIT_CODES.ok : EXIT_CODES.checkFailed;
}

export const validateCommand: CommandModule<object, ValidateArgs> = {
  command: 'validate',
  describe: 'Morning validation: the challenging queries against the served model (exit 0 at ≥ validation.minPassRatePct, 1 below); --history: the trend',
  builder: (y) =>
    y
      .option('model', { type: 'string', describe: 'Ollama model, or latest|previous|candidate|base (default: production if present, else the base model)' })
      .option('queries', { type: 'string', describe: 'Case file (default validation.queriesFile)' })
      .option('history', { type: 'boolean', default: false, describe: 'Show the stored checks per day: rate, version, change, queries that flipped (asks no model)' })
      .option('days', { type: 'number', default: 7, describe: 'Days shown by --history (today included)' }) as never,
  handler: (args) => runCommand(args, async () => (args.history ? history(args) : validate(args))),
};
