import { type Clock, resolvePaths, resolveStatePath, systemClock, type Web4Config } from '@web4/core';
import { MetricsStore } from '@web4/metrics-store';
import { Ollama } from 'ollama';
import { loadCaseFile } from './case-file.js';
import { ollamaAnswerer } from './ollama-answerer.js';
import { runCases, type CaseResult, type SuiteResult } from './run-cases.js';

export interface MorningValidationOptions {
  ollamaUrl: string;
  /** Default: the production model when Ollama has it, else the base model. */
  model?: string;
  /** Default: config `validation.queriesFile`. */
  queriesFile?: string;
  clock?: Clock;
  /** Queries asked at once (default 1: in file order). */
  concurrency?: number;
  onCase?: (result: CaseResult, index: number, total: number) => void;
}

export interface MorningValidation extends SuiteResult {
  model: string;
  queriesFile: string;
  passRatePct: number;
  minPassRatePct: number;
  pass: boolean;
  /** Every call failed: the model could not be asked at all (a service problem, not a verdict). */
  unreachable: boolean;
  /** Row id in the `validations` table. */
  recordId: number | undefined;
}

/**
 * The morning check: ask the served model the challenging queries, judge each answer by its
 * assertions, and record the verdict in `validations` (logs/production_metrics.db).
 */
export async function validateServedModel(config: Web4Config, options: MorningValidationOptions): Promise<MorningValidation> {
  const queriesFile = options.queriesFile ?? resolveStatePath(config, config.validation.queriesFile);
  const cases = loadCaseFile(queriesFile);
  const model = options.model ?? (await pickServedModel(options.ollamaUrl, config));
  const suite = await runCases(cases, ollamaAnswerer({ url: options.ollamaUrl, model }), {
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    onCase: (r, i) => options.onCase?.(r, i, cases.length),
  });
  const passRatePct = suite.total === 0 ? 0 : (100 * suite.passed) / suite.total;
  const minPassRatePct = config.validation.minPassRatePct;
  const unreachable = suite.results.every((r) => r.error !== undefined);
  const pass = !unreachable && passRatePct >= minPassRatePct;
  let recordId: number | undefined;
  if (!unreachable) {
    const store = MetricsStore.open(resolvePaths(config).metricsDb, { clock: options.clock ?? systemClock });
    try {
      recordId = store.validations.record({
        model,
        passed: pass,
        totalCases: suite.total,
        passedCases: suite.passed,
        score: passRatePct,
        details: { queriesFile, failed: suite.results.filter((r) => !r.pass).map((r) => ({ id: r.id, error: r.error, assertions: r.assertions.filter((a) => !a.pass) })) },
      });
    } finally {
      store.close();
    }
  }
  return { ...suite, model, queriesFile, passRatePct, minPassRatePct, pass, unreachable, recordId };
}

/** The production model when Ollama lists it, else the base model (before the first promotion). */
export async function pickServedModel(ollamaUrl: string, config: Web4Config): Promise<string> {
  try {
    const { models } = await new Ollama({ host: ollamaUrl }).list();
    return models.some((m) => m.name === config.models.productionModel) ? config.models.productionModel : config.models.baseModel;
  } catch {
    return config.models.productionModel; // the answerer reports the unreachable server
  }
}
