import { type Alerter, type DeliveryReport, alerterFromConfig } from '@web4/alerting';
import { type Clock, isoDay, type Logger, resolvePaths, resolveStatePath, systemClock, type Web4Config } from '@web4/core';
import { BASE_VERSION, MetricsStore, RecordsPublisher, type StoredValidation } from '@web4/metrics-store';
import { loadCaseFile } from './case-file.js';
import { compareChecks, type MorningDay } from './morning-history.js';
import { ollamaAnswerer } from './ollama-answerer.js';
import { runCases, type CaseResult, type SuiteResult } from './run-cases.js';
import { servedModel, servingClient } from './serving.js';

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
  /** Where a drop beyond `validation.alertDropPct` is reported; default: the configured channels (alerterFromConfig). */
  alerter?: Alerter;
  logger?: Logger;
}

export interface MorningValidation extends SuiteResult {
  model: string;
  /** Registry version that answered (`base`: the base model); null when the registry does not know the model. */
  modelVersion: string | null;
  /** Ollama digest of the model asked. */
  modelDigest: string | null;
  queriesFile: string;
  passRatePct: number;
  minPassRatePct: number;
  pass: boolean;
  /** Every call failed: the model could not be asked at all (a service problem, not a verdict). */
  unreachable: boolean;
  /** Row id in the `validations` table. */
  recordId: number | undefined;
  /** Against the last check of an earlier day (none before the first). */
  trend: Pick<MorningDay, 'previousDay' | 'changePct' | 'flipped' | 'recovered'>;
  /** The drop alert, when the rate fell by more than `validation.alertDropPct` points. */
  alert: { title: string; delivered: boolean; report: DeliveryReport } | undefined;
}

/**
 * The morning check: ask the served model the challenging queries, judge each answer by its
 * assertions, record the verdict with the version that answered in `validations`
 * (logs/production_metrics.db), compare it with the previous day, and alert on a drop beyond
 * `validation.alertDropPct` points. The verdict stays the pass rate's (≥ minPassRatePct).
 */
export async function validateServedModel(config: Web4Config, options: MorningValidationOptions): Promise<MorningValidation> {
  const queriesFile = options.queriesFile ?? resolveStatePath(config, config.validation.queriesFile);
  const cases = loadCaseFile(queriesFile);
  const clock = options.clock ?? systemClock;
  const paths = resolvePaths(config);
  // A misconfigured channel is a config error now, before the model is asked, not after.
  const alerter = options.alerter ?? alerterFromConfig(config, paths, { clock, ...(options.logger ? { logger: options.logger } : {}) });
  const client = servingClient(options.ollamaUrl);
  const model = options.model ?? (await pickServedModel(options.ollamaUrl, config));
  const suite = await runCases(cases, ollamaAnswerer({ url: options.ollamaUrl, model }), {
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    onCase: (r, i) => options.onCase?.(r, i, cases.length),
  });
  const passRatePct = suite.total === 0 ? 0 : (100 * suite.passed) / suite.total;
  const minPassRatePct = config.validation.minPassRatePct;
  const unreachable = suite.results.every((r) => r.error !== undefined);
  const pass = !unreachable && passRatePct >= minPassRatePct;
  const modelDigest = await ollamaDigest(client, model);
  let recordId: number | undefined;
  let modelVersion: string | null = null;
  let trend: MorningValidation['trend'] = { previousDay: null, changePct: null, flipped: [], recovered: [] };
  let alert: MorningValidation['alert'];
  if (!unreachable) {
    const store = MetricsStore.open(paths.metricsDb, { clock });
    // storage.url = postgres://…: the row is published there too, for every machine's readers.
    const publisher = RecordsPublisher.forConfig(config, store, options.logger);
    let previous: StoredValidation | undefined;
    let stored: StoredValidation | undefined;
    try {
      modelVersion = servedVersion(config, store, model);
      const runAt = clock.now();
      recordId = store.validations.record({
        model,
        modelVersion,
        modelDigest,
        runAt,
        passed: pass,
        totalCases: suite.total,
        passedCases: suite.passed,
        score: passRatePct,
        details: {
          queriesFile,
          cases: Object.fromEntries(suite.results.map((r) => [r.id, r.pass])),
          failed: suite.results.filter((r) => !r.pass).map((r) => ({ id: r.id, error: r.error, assertions: r.assertions.filter((a) => !a.pass) })),
        },
      });
      previous = store.validations.lastBefore(new Date(`${isoDay(runAt)}T00:00:00.000Z`));
      stored = store.validations.latest(1)[0];
    } finally {
      await publisher?.close();
      store.close();
    }
    trend = compareChecks(stored!, previous);
    if (previous && trend.changePct !== null && -trend.changePct > config.validation.alertDropPct) {
      alert = await sendDropAlert(alerter, { model, modelVersion, passed: suite.passed, total: suite.total, passRatePct, previous, trend, dropLimit: config.validation.alertDropPct });
    }
  }
  return { ...suite, model, modelVersion, modelDigest, queriesFile, passRatePct, minPassRatePct, pass, unreachable, recordId, trend, alert };
}

async function sendDropAlert(
  alerter: Alerter,
  d: { model: string; modelVersion: string | null; passed: number; total: number; passRatePct: number; previous: StoredValidation; trend: MorningValidation['trend']; dropLimit: number },
): Promise<NonNullable<MorningValidation['alert']>> {
  const before = d.previous.totalCases === 0 ? 0 : (100 * d.previous.passedCases) / d.previous.totalCases;
  const title = `⚠️ Morning Validation Alert: improvement rate fell from ${before.toFixed(1)}% to ${d.passRatePct.toFixed(1)}%`;
  const message = [
    `${d.model} (version ${d.modelVersion ?? 'unknown'}) passed ${d.passed}/${d.total} challenging queries; on ${d.trend.previousDay} ${d.previous.model} (version ${d.previous.modelVersion ?? 'unknown'}) passed ${d.previous.passedCases}/${d.previous.totalCases}.`,
    `The drop (${Math.abs(d.trend.changePct!).toFixed(1)} points) is beyond validation.alertDropPct (${d.dropLimit}).`,
    d.trend.flipped.length ? `Flipped from pass to fail: ${d.trend.flipped.join(', ')}.` : '',
    'See `web4 validate --history`; `web4 model rollback` restores the previous model.',
  ]
    .filter(Boolean)
    .join(' ');
  const report = await alerter.send({
    level: 'warn',
    title,
    message,
    details: { model: d.model, modelVersion: d.modelVersion, passRatePct: d.passRatePct, previousPassRatePct: before, previousVersion: d.previous.modelVersion, flipped: d.trend.flipped },
  });
  return { title, delivered: report.delivered, report };
}

/** The Ollama digest of `model` (a name without a tag is `:latest`), null when Ollama does not list it. */
async function ollamaDigest(client: ReturnType<typeof servingClient>, model: string): Promise<string | null> {
  const name = model.includes(':') ? model : `${model}:latest`;
  try {
    const { models } = await client.list();
    return models.find((m) => m.name === name || m.model === name)?.digest ?? null;
  } catch {
    return null;
  }
}

/**
 * The registry version behind an Ollama name: `base` for the base model, the version a tag
 * (latest, previous, candidate) points at for the tag names, else the version created under
 * that name; null when the registry of this state root does not know it.
 */
export function servedVersion(config: Web4Config, store: MetricsStore, model: string): string | null {
  const m = config.models;
  const name = (n: string) => (n.includes(':') ? n : `${n}:latest`);
  if (name(model) === name(m.baseModel)) return BASE_VERSION;
  const tags = store.models.tags();
  const byTag: Record<string, string | undefined> = { [name(m.productionModel)]: tags.latest, [name(m.previousModel)]: tags.previous, [name(m.candidateModel)]: tags.candidate };
  if (Object.hasOwn(byTag, name(model))) return byTag[name(model)] ?? null;
  return store.models.versions().find((v) => name(v.ollamaName) === name(model))?.version ?? null;
}

/** The production model when Ollama lists it, else the base model (before the first promotion). */
export async function pickServedModel(ollamaUrl: string, config: Web4Config): Promise<string> {
  try {
    return await servedModel(servingClient(ollamaUrl), config.models);
  } catch {
    return config.models.productionModel; // the answerer reports the unreachable server
  }
}

/** The plan's line for one query: `Query N/20: ✓ Quality response` or `⚠️ Weak response`, with the id and why. */
export function formatQueryLine(r: CaseResult, index: number, total: number): string {
  const why = r.error ?? r.assertions.filter((a) => !a.pass).map((a) => `${a.type}: ${a.reason}`).join('; ');
  return `Query ${index + 1}/${total}: ${r.pass ? '✓ Quality response' : '⚠️ Weak response'} — ${r.id} (${Math.round(r.latencyMs)} ms)${r.pass ? '' : `: ${why}`}`;
}

/** The report's closing lines: the plan's Improvement Rate, the verdict, the change against the previous day. */
export function formatMorningSummary(v: MorningValidation): string[] {
  const version = v.modelVersion ? `version ${v.modelVersion}` : 'version unknown to the registry';
  const lines = [
    `Improvement Rate: ${v.passRatePct.toFixed(1)}% (${v.passed}/${v.total} quality responses, target ≥ ${v.minPassRatePct}%)`,
    `${v.pass ? '✓ PASS' : '⚠️ FAIL'}: ${v.model} (${version}${v.modelDigest ? `, ${v.modelDigest.replace(/^sha256:/, '').slice(0, 12)}` : ''})`,
  ];
  if (v.trend.changePct !== null) {
    const c = v.trend.changePct;
    lines.push(`Change against ${v.trend.previousDay}: ${c > 0 ? '+' : c < 0 ? '−' : '±'}${Math.abs(c).toFixed(1)} points${v.trend.flipped.length ? `; pass → fail: ${v.trend.flipped.join(', ')}` : ''}`);
  }
  if (v.alert) lines.push(`${v.alert.title} (${v.alert.delivered ? 'alert sent' : `alert not delivered on every channel; kept in ${v.alert.report.undeliveredFile}`})`);
  return lines;
}
