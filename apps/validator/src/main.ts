import { formatCaseLine, validateServedModel } from '@web4/canary-suite';
import { createLogger, isWeb4Error, loadConfig, MARK, resolvePaths } from '@web4/core';
import { servicesFromConfig } from '@web4/local-services';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/**
 * Morning validation for cron: asks the served production model the challenging queries and
 * checks each answer against its assertions. Exit 0 when the pass rate meets
 * `validation.minPassRatePct`, 1 when it does not, 2 for bad input, 4 when Ollama is down.
 * `web4 validate` runs the same check.
 *
 *   node dist/apps/validator/main.js [--root DIR] [--model NAME] [--queries FILE] [--json]
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      root: { type: 'string' },
      config: { type: 'string' },
      model: { type: 'string' },
      queries: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: validator [--root DIR] [--config FILE] [--model NAME] [--queries FILE] [--json]\nexit: 0 pass, 1 fail, 2 bad input, 4 Ollama unreachable\n');
    return 0;
  }
  const { config } = loadConfig({ ...(values.root ? { root: values.root } : {}), ...(values.config ? { configFile: values.config } : {}) });
  const paths = resolvePaths(config);
  const logger = createLogger({ file: join(paths.logsDir, 'morning_validation.log'), console: false, level: config.logging.level, name: 'validator' });
  const out = (line: string) => {
    if (!values.json) process.stdout.write(line + '\n');
  };
  const ollama = await servicesFromConfig(config, paths).ollama.status();
  if (ollama.state !== 'running' || !ollama.url) {
    process.stderr.write('error: Ollama is not running.\n  → start it with `web4 services up` (or set services.ollama.url)\n');
    return 4;
  }
  out(`Morning validation against ${ollama.url}`);
  const result = await validateServedModel(config, {
    ollamaUrl: ollama.url,
    ...(values.model ? { model: values.model } : {}),
    ...(values.queries ? { queriesFile: values.queries } : {}),
    onCase: (r, i, total) => {
      logger.info({ case: r.id, passed: r.pass, latencyMs: Math.round(r.latencyMs), error: r.error, assertions: r.assertions }, 'validation case');
      out(formatCaseLine(r, i, total));
    },
  });
  logger.info({ model: result.model, passed: result.passed, total: result.total, passRatePct: result.passRatePct, pass: result.pass }, 'validation finished');
  if (values.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  if (result.unreachable) {
    process.stderr.write(`error: ${result.model} could not be asked: ${result.results[0]?.error ?? 'no answer'}\n`);
    return 4;
  }
  out(`${result.pass ? MARK.pass : MARK.warn} ${result.model}: ${result.passed}/${result.total} passed (${result.passRatePct.toFixed(1)}%, target ≥ ${result.minPassRatePct}%)`);
  return result.pass ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${isWeb4Error(error) ? error.toUserString() : String(error)}\n`);
    process.exitCode = isWeb4Error(error) ? error.exitCode : 1;
  },
);
