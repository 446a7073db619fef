import { formatCaseLine, validateServedModel } from '@web4/canary-suite';
import { EXIT_CODES, MARK, ServiceError } from '@web4/core';
import { servicesFromConfig } from '@web4/local-services';
import type { CommandModule } from 'yargs';
import { createContext, modelName, runCommand, type GlobalArgs } from '../context.js';

interface ValidateArgs extends GlobalArgs {
  model?: string;
  queries?: string;
}

async function validate(args: ValidateArgs): Promise<number> {
  const ctx = createContext(args, 'morning_validation.log');
  const ollama = await servicesFromConfig(ctx.config, ctx.paths).ollama.status();
  if (ollama.state !== 'running' || !ollama.url) throw new ServiceError('Ollama is not running.', { hint: 'Start it with `web4 services up` (or set services.ollama.url).' });
  ctx.say(`Morning validation against ${ollama.url}`);
  const result = await validateServedModel(ctx.config, {
    ollamaUrl: ollama.url,
    clock: ctx.clock,
    ...(args.model ? { model: modelName(ctx.config, args.model)! } : {}),
    ...(args.queries ? { queriesFile: args.queries } : {}),
    onCase: (r, i, total) => {
      ctx.logger.info({ case: r.id, passed: r.pass, latencyMs: Math.round(r.latencyMs), error: r.error }, 'validation case');
      ctx.say(formatCaseLine(r, i, total));
    },
  });
  ctx.emit(result);
  if (result.unreachable) throw new ServiceError(`${result.model} could not be asked: ${result.results[0]?.error ?? 'no answer'}`, { hint: 'Check `web4 services status`; the model must be listed by Ollama.' });
  ctx.say(`${result.pass ? MARK.pass : MARK.warn} ${result.model}: ${result.passed}/${result.total} passed (${result.passRatePct.toFixed(1)}%, target ≥ ${result.minPassRatePct}%)`);
  return result.pass ? EXIT_CODES.ok : EXIT_CODES.checkFailed;
}

export const validateCommand: CommandModule<object, ValidateArgs> = {
  command: 'validate',
  describe: 'Morning validation: the challenging queries against the served model (exit 0 pass, 1 fail)',
  builder: (y) =>
    y
      .option('model', { type: 'string', describe: 'Ollama model, or latest|previous|candidate|base (default: production if present, else the base model)' })
      .option('queries', { type: 'string', describe: 'Case file (default validation.queriesFile)' }) as never,
  handler: (args) => runCommand(args, () => validate(args)),
};
