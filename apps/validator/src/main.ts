import { loadCaseFile, ollamaAnswerer, runCases } from '@web4/canary-suite';
import { createLogger, isWeb4Error, loadConfig, MARK, resolvePaths, resolveStatePath } from '@web4/core';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/**
 * Morning validation: asks the served production model the challenging queries and checks
 * each answer against its assertions. Exit 0 when the pass rate meets
 * `validation.minPassRatePct`, 1 when it does not, 2 for bad input, 4 when Ollama is down.
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
    process.stdout.write('usage: validator [--root DIR] [--config FILE] [--model NAME] [--queries FILE] [--json]\n');
    return 0;
  }
  const { config } = loadConfig({ ...(values.root ? { root: values.root } : {}), ...(values.config ? { configFile: values.config } : {}) });
  const paths = resolvePaths(config);
  const logger = createLogger({ file: join(paths.logsDir, 'morning_validation.log'), console: false, level: config.logging.level, name: 'validator' });
  const queriesFile = values.queries ?? resolveStatePath(config, config.validation.queriesFile);
  const model = values.model ?? config.models.productionModel;
  const url = config.services.ollama.url ?? `http://${config.services.ollama.host}:${config.services.ollama.port}`;

  const cases = loadCaseFile(queriesFile);
  const out = (line: string) => {
    if (!values.json) process.stdout.write(line + '\n');
  };
  out(`Morning validation: ${cases.length} challenging queries against ${model} (${url})`);
  const suite = await runCases(cases, ollamaAnswerer({ url, model }), (r, i) => {
    logger.info({ case: r.id, pass: r.pass, latencyMs: Math.round(r.latencyMs), error: r.error, assertions: r.assertions }, 'validation case');
    const why = r.error ?? r.assertions.filter((a) => !a.pass).map((a) => `${a.type}: ${a.reason}`).join('; ');
    out(`  ${r.pass ? MARK.pass : MARK.warn} ${String(i + 1).padStart(2)}. ${r.id} (${Math.round(r.latencyMs)} ms)${r.pass ? '' : ` — ${why}`}`);
  });
  const ratePct = suite.total === 0 ? 0 : (100 * suite.passed) / suite.total;
  const pass = ratePct >= config.validation.minPassRatePct;
  if (suite.results.every((r) => r.error)) {
    const first = suite.results[0]?.error ?? 'no answer';
    logger.error({ error: first }, 'model unreachable');
    if (values.json) process.stdout.write(JSON.stringify({ pass: false, error: 'service', message: first }, null, 2) + '\n');
    process.stderr.write(`error: ${first}\n`);
    return 4;
  }
  logger.info({ passed: suite.passed, total: suite.total, ratePct, pass }, 'validation finished');
  if (values.json) {
    process.stdout.write(JSON.stringify({ model, pass, passRatePct: ratePct, minPassRatePct: config.validation.minPassRatePct, ...suite }, null, 2) + '\n');
  }
  out(`${pass ? MARK.pass : MARK.warn} ${suite.passed}/${suite.total} passed (${ratePct.toFixed(1)}%, target ≥ ${config.validation.minPassRatePct}%)`);
  return pass ? 0 : 1;
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
