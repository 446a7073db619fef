import { compareChecks } from '@web4/canary-suite';
import { type Clock, isoDay, type Logger, type StatePaths, systemClock, type Web4Config } from '@web4/core';
import { type NightRecord, type NightStatus, nightHistory } from '@web4/evening-loop';
import { categorize, FeedbackReader, MetricsReader, type Satisfaction, type StoredValidation } from '@web4/metrics-store';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FeedbackEvent, GatewayEndpoint, GatewayObserver, GatewayQueryEvent, RouteHandler, TierName } from './types.js';

/**
 * Bucket boundaries recommended by the OpenTelemetry GenAI semantic conventions
 * (docs/gen-ai/gen-ai-metrics.md): operation duration in seconds (10 ms … 82 s, doubling: a
 * CPU model's multi-second answers and a cached one's tens of milliseconds both resolve), token
 * counts (powers of 4), and time per output token. The conventions give no boundaries of their
 * own for the client's time to first chunk; it uses the operation-duration set, since on a CPU
 * the first token can take as long as a whole short answer.
 */
export const OPERATION_DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
export const TOKEN_USAGE_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
export const TIME_PER_OUTPUT_TOKEN_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5];
/** Retrieval runs in the serving path: milliseconds matter (the budget is 20 ms added). */
export const RETRIEVAL_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12];

/** Every value a night's `result` label takes: one of them is 1, the others 0. */
export const NIGHT_RESULTS: readonly NightStatus[] = ['complete', 'rejected', 'failed', 'open', 'nothing', 'abandoned'];
const TIERS: readonly TierName[] = ['tools', 'history', 'trainai', 'graph'];
const FEEDBACK_WINDOWS = [
  { window: '1d', days: 1 },
  { window: '7d', days: 7 },
] as const;

/** The gen_ai.operation.name of each gateway endpoint (OTel's well-known values). */
const OPERATION: Record<GatewayEndpoint, string> = { chat: 'chat', openai_chat: 'chat', generate: 'text_completion' };

export interface GatewayMetricsOptions {
  /**
   * The state root's databases: the last night, the last morning check and the satisfaction
   * rate are read from them at scrape time. Without them those gauges are absent (never zero).
   */
  paths?: Pick<StatePaths, 'metricsDb' | 'feedbackDb'>;
  /**
   * Where the records are (`storage.url`: the state root's SQLite files, or the metrics and
   * feedback schemas of a PostgreSQL database, where every state root publishes its nights and
   * morning checks): the gauges read them there, as `web4 feedback rate`, `evening history` and
   * `validate --history` do. Without it they read paths.metricsDb and paths.feedbackDb.
   */
  config?: Pick<Web4Config, 'storage' | 'monitoring'>;
  clock?: Clock;
  /** How long one read of the state root serves scrapes (default 5,000 ms): scrapes stay cheap. */
  stateCacheMs?: number;
  /** Distinct model names kept as label values (default 20); later ones are counted as `other`. */
  maxModels?: number;
  /** gen_ai.provider.name (default `ollama`). */
  provider?: string;
  logger?: Logger;
}

/** What one read of the state root found (null: nothing recorded yet). */
export interface StateSnapshot {
  night: NightRecord | null;
  morning: { latest: StoredValidation; changePoints: number | null } | null;
  satisfaction: Record<string, Satisfaction> | null;
  ok: boolean;
}

/**
 * A label whose values come from outside (model names clients send): the first `max` distinct
 * values are kept, every later one becomes `other`, so a client cycling through names cannot
 * grow the series without bound.
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();
  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`A bounded label keeps at least 1 value, got ${max}.`);
  }

  value(raw: string | null | undefined): string {
    const v = (raw ?? '').trim().slice(0, 120) || 'unknown';
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return 'other';
    this.seen.add(v);
    return v;
  }
}

/**
 * The gateway's Prometheus metrics, on its own registry: an observer of every query, feedback
 * and response, and the `GET /metrics` handler. Metric and label names follow the OpenTelemetry
 * GenAI conventions where one fits (`gen_ai.client.operation.duration` →
 * `gen_ai_client_operation_duration_seconds`); the rest are `web4_*`. No label carries query
 * text or ids; model names are capped (BoundedLabel).
 */
export class GatewayMetrics implements GatewayObserver {
  readonly registry = new Registry();
  private readonly clock: Clock;
  private readonly models: BoundedLabel;
  private readonly routes = new BoundedLabel(40);
  private readonly provider: string;
  private readonly stateCacheMs: number;
  private stores: { metrics: MetricsReader; feedback: FeedbackReader } | undefined;
  private cached: { at: number; snapshot: StateSnapshot } | undefined;
  /** The read in flight: the gauges of one scrape collect concurrently and share it. */
  private reading: Promise<StateSnapshot> | undefined;

  private readonly duration: Histogram<string>;
  private readonly tokens: Histogram<string>;
  private readonly ttft: Histogram<string>;
  private readonly timePerToken: Histogram<string>;
  private readonly retrieval: Histogram<string>;
  private readonly queries: Counter<string>;
  private readonly responses: Counter<string>;
  private readonly tierHits: Counter<string>;
  private readonly categories: Counter<string>;
  private readonly errors: Counter<string>;
  private readonly feedback: Counter<string>;

  constructor(private readonly options: GatewayMetricsOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.models = new BoundedLabel(options.maxModels ?? 20);
    this.provider = options.provider ?? 'ollama';
    this.stateCacheMs = options.stateCacheMs ?? 5_000;
    const registers = [this.registry];
    const model = ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model', 'gen_ai_response_model'];

    this.duration = new Histogram({
      name: 'gen_ai_client_operation_duration_seconds',
      help: 'GenAI operation duration: the whole query as the gateway served it (routing, retrieval, generation).',
      labelNames: [...model, 'error_type'],
      buckets: OPERATION_DURATION_BUCKETS,
      registers,
    });
    this.tokens = new Histogram({
      name: 'gen_ai_client_token_usage',
      help: "Input and output tokens per query, from Ollama's own counts (prompt_eval_count, eval_count).",
      labelNames: [...model, 'gen_ai_token_type'],
      buckets: TOKEN_USAGE_BUCKETS,
      registers,
    });
    this.ttft = new Histogram({
      name: 'gen_ai_client_operation_time_to_first_chunk_seconds',
      help: 'Time from the request to the first generated token, measured by the gateway (Ollama does not report it).',
      labelNames: model,
      buckets: OPERATION_DURATION_BUCKETS,
      registers,
    });
    this.timePerToken = new Histogram({
      name: 'gen_ai_server_time_per_output_token_seconds',
      help: "Time per output token as Ollama measured it (eval_duration / eval_count), for successful queries.",
      labelNames: model,
      buckets: TIME_PER_OUTPUT_TOKEN_BUCKETS,
      registers,
    });
    this.retrieval = new Histogram({
      name: 'web4_gateway_retrieval_duration_seconds',
      help: 'Time spent retrieving context, for queries the router sent to retrieval.',
      labelNames: ['gen_ai_operation_name'],
      buckets: RETRIEVAL_DURATION_BUCKETS,
      registers,
    });
    this.queries = new Counter({
      name: 'web4_gateway_queries_total',
      help: 'Queries by endpoint, routing (trained: the model alone; retrieval) and HTTP status class.',
      labelNames: ['endpoint', 'routed', 'status_class'],
      registers,
    });
    this.responses = new Counter({
      name: 'web4_gateway_http_responses_total',
      help: 'Every HTTP response of the gateway, by route and status class.',
      labelNames: ['route', 'status_class'],
      registers,
    });
    this.tierHits = new Counter({
      name: 'web4_gateway_tier_hits_total',
      help: 'Queries whose prompt got context from each retrieval tier (tiers used, not merely asked).',
      labelNames: ['tier'],
      registers,
    });
    this.categories = new Counter({
      name: 'web4_gateway_query_category_total',
      help: 'Queries by category: pure_trained (no tier), tools, history, trainai, graph, multiple.',
      labelNames: ['category'],
      registers,
    });
    this.errors = new Counter({
      name: 'web4_gateway_errors_total',
      help: 'Failed queries by error kind.',
      labelNames: ['error_type'],
      registers,
    });
    this.feedback = new Counter({
      name: 'web4_gateway_feedback_total',
      help: 'Feedback received through the gateway, by rating; replaced="true" when it replaced an earlier rating of the same query.',
      labelNames: ['rating', 'replaced'],
      registers,
    });
    // Zero series exist from the start, so rate() and ratios have something to divide before the first query.
    for (const tier of TIERS) this.tierHits.inc({ tier }, 0);
    for (const category of ['pure_trained', 'tools', 'history', 'trainai', 'graph', 'multiple']) this.categories.inc({ category }, 0);
    for (const rating of ['thumbs_up', 'thumbs_down']) this.feedback.inc({ rating, replaced: 'false' }, 0);

    if (options.paths) this.registerStateGauges();
  }

  onQuery(e: GatewayQueryEvent): void {
    const labels = {
      gen_ai_operation_name: OPERATION[e.endpoint] ?? 'chat',
      gen_ai_provider_name: this.provider,
      gen_ai_request_model: this.models.value(e.requestedModel),
      gen_ai_response_model: this.models.value(e.model || e.requestedModel),
    };
    this.duration.observe(e.errorKind ? { ...labels, error_type: e.errorKind } : labels, seconds(e.latencyMs));
    if (isCount(e.tokensIn)) this.tokens.observe({ ...labels, gen_ai_token_type: 'input' }, e.tokensIn);
    if (isCount(e.tokensOut)) this.tokens.observe({ ...labels, gen_ai_token_type: 'output' }, e.tokensOut);
    if (e.ttftMs !== null && Number.isFinite(e.ttftMs) && e.ttftMs >= 0) this.ttft.observe(labels, seconds(e.ttftMs));
    if (!e.errorKind && e.tokensPerSecond !== null && Number.isFinite(e.tokensPerSecond) && e.tokensPerSecond > 0) {
      this.timePerToken.observe(labels, 1 / e.tokensPerSecond);
    }
    if (e.routed === 'retrieval') this.retrieval.observe({ gen_ai_operation_name: labels.gen_ai_operation_name }, seconds(e.retrievalMs));
    this.queries.inc({ endpoint: e.endpoint, routed: e.routed, status_class: statusClass(e.status) });
    if (e.errorKind) this.errors.inc({ error_type: e.errorKind });
    const used = TIERS.filter((t) => e.tiersUsed.includes(t));
    for (const tier of used) this.tierHits.inc({ tier });
    this.categories.inc({
      category: categorize({ usedTools: used.includes('tools'), usedHistory: used.includes('history'), usedTrainai: used.includes('trainai'), usedGraph: used.includes('graph') }),
    });
  }

  onFeedback(e: FeedbackEvent): void {
    this.feedback.inc({ rating: e.rating, replaced: String(e.replaced) });
  }

  onResponse(route: string, status: number): void {
    this.responses.inc({ route: this.routes.value(route), status_class: statusClass(status) });
  }

  /** `GET /metrics`: the Prometheus text format (version 0.0.4). */
  readonly handler: RouteHandler = async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const body = JSON.stringify({ error: `${req.method ?? '?'} ${'/metrics'} is not allowed; use GET.` });
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    let text: string;
    try {
      text = await this.registry.metrics();
    } catch (error) {
      this.options.logger?.error({ err: error }, 'rendering /metrics failed');
      const body = JSON.stringify({ error: `Rendering the metrics failed: ${(error as Error).message}` });
      res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    res.writeHead(200, { 'content-type': this.registry.contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : text);
  };

  /** The Prometheus text, as a scrape would get it. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** Read the state root now (or reuse a read younger than `stateCacheMs`; concurrent callers share one read). */
  state(): Promise<StateSnapshot> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < this.stateCacheMs) return Promise.resolve(this.cached.snapshot);
    return (this.reading ??= this.readState()
      .then((snapshot) => {
        this.cached = { at: now, snapshot };
        return snapshot;
      })
      .finally(() => {
        this.reading = undefined;
      }));
  }

  /** Close the state root's databases (the next scrape opens them again). */
  async close(): Promise<void> {
    const stores = this.stores;
    this.stores = undefined;
    this.cached = undefined;
    if (!stores) return;
    try {
      await stores.metrics.close();
    } finally {
      await stores.feedback.close();
    }
  }

  private async readState(): Promise<StateSnapshot> {
    const paths = this.options.paths;
    if (!paths) return { night: null, morning: null, satisfaction: null, ok: true };
    try {
      this.stores ??= await openStores(paths, this.options.config);
      const { metrics, feedback } = this.stores;
      const night = (await nightHistory(metrics, 1))[0] ?? null;
      const latest = (await metrics.latestValidations(1))[0];
      let morning: StateSnapshot['morning'] = null;
      if (latest) {
        const before = await metrics.validationBefore(new Date(`${isoDay(new Date(latest.runAt))}T00:00:00.000Z`));
        morning = { latest, changePoints: compareChecks(latest, before).changePct };
      }
      const to = this.clock.now();
      const satisfaction: Record<string, Satisfaction> = {};
      for (const { window, days } of FEEDBACK_WINDOWS) {
        satisfaction[window] = await feedback.satisfaction(new Date(to.getTime() - days * 86_400_000), new Date(to.getTime() + 1));
      }
      return { night, morning, satisfaction, ok: true };
    } catch (error) {
      this.options.logger?.warn({ err: error }, '/metrics could not read the state root; its gauges are left out of this scrape');
      await this.close().catch(() => undefined);
      return { night: null, morning: null, satisfaction: null, ok: false };
    }
  }

  /** Gauges filled at scrape time from the state root (collect callbacks, one cached read per scrape). */
  private registerStateGauges(): void {
    const registry = this.registry;
    const state = (): Promise<StateSnapshot> => this.state();
    type Put = (value: number | null | undefined, labels?: Record<string, string>) => void;
    const gauge = (name: string, help: string, labelNames: string[], fill: (put: Put, s: StateSnapshot) => void): void => {
      new StateGauge({
        name,
        help,
        labelNames,
        registers: [registry],
        async collect(this: Gauge<string>) {
          const g = this as StateGauge;
          const s = await state();
          g.reset();
          g.present = false;
          fill((value, labels = {}) => {
            if (typeof value !== 'number' || !Number.isFinite(value)) return;
            g.set(labels, value);
            g.present = true;
          }, s);
        },
      });
    };

    gauge('web4_state_read_up', '1 when the last read of the records (runs, validations and feedback, where storage.url says) succeeded, else 0.', [], (put, s) => put(s.ok ? 1 : 0));

    // The last night (evening-loop's record in the runs table).
    gauge(
      'web4_night_last_result',
      'The last night: 1 for its result (complete = promoted; rejected = gates failed, production kept; failed = promoted then rolled back; open = stopped at a step; nothing = no new PDCAs), 0 for the others.',
      ['result'],
      (put, s) => {
        if (s.night) for (const result of NIGHT_RESULTS) put(s.night.status === result ? 1 : 0, { result });
      },
    );
    gauge('web4_night_last_timestamp_seconds', 'When the last night finished (or started, while it has not finished), Unix seconds.', [], (put, s) => {
      if (s.night) put(Date.parse(s.night.finishedAt ?? s.night.startedAt) / 1000);
    });
    gauge('web4_night_last_runtime_seconds', "The last night's runtime.", [], (put, s) => put(s.night?.runtimeS));
    gauge('web4_night_last_items', 'PDCAs the last night read from the daily buffer.', [], (put, s) => put(s.night?.items));
    gauge('web4_night_last_train_loss', "The last night's training loss.", [], (put, s) => put(s.night?.trainLoss));
    gauge(
      'web4_night_last_loss',
      "The last night's evaluation loss per document set (night: the night's PDCAs; retention: older PDCAs; next_day: the next day's unseen PDCAs, in a replay) and model.",
      ['set', 'model'],
      (put, s) => {
        if (!s.night) return;
        const sets: Array<[string, NightRecord['night']]> = [['night', s.night.night], ['retention', s.night.retention], ...Object.entries(s.night.morning).slice(0, 5)];
        for (const [set, figures] of sets) {
          for (const model of ['production', 'candidate', 'base'] as const) put(figures?.[model], { set: set.slice(0, 40), model });
        }
      },
    );
    gauge('web4_night_last_canaries_passed', "Canary cases the last night's candidate passed.", [], (put, s) => put(canaries(s.night)?.passed));
    gauge('web4_night_last_canaries_total', 'Canary cases the last night ran against its candidate.', [], (put, s) => put(canaries(s.night)?.total));
    gauge('web4_night_last_gate_passed', "The last night's gates (canaries, no-regression, night-loss, retention-loss): 1 passed, 0 failed.", ['gate'], (put, s) => {
      for (const gate of s.night?.gates ?? []) put(gate.pass ? 1 : 0, { gate: String(gate.gate).slice(0, 40) });
    });

    // The last morning check (validations table).
    gauge('web4_morning_last_pass_ratio', 'Share of the challenging queries the served model passed in the last morning check (0-1).', [], (put, s) => {
      const v = s.morning?.latest;
      if (v && v.totalCases > 0) put(v.passedCases / v.totalCases);
    });
    gauge('web4_morning_last_passed', "The last morning check's verdict: 1 pass (rate ≥ validation.minPassRatePct), 0 fail.", [], (put, s) => {
      if (s.morning) put(s.morning.latest.passed ? 1 : 0);
    });
    gauge(
      'web4_morning_last_improvement_points',
      "Change of the last morning check's pass rate against the last check of an earlier day, in percentage points (absent before a second day).",
      [],
      (put, s) => put(s.morning?.changePoints),
    );
    gauge('web4_morning_last_timestamp_seconds', 'When the last morning check ran, Unix seconds.', [], (put, s) => {
      if (s.morning) put(Date.parse(s.morning.latest.runAt) / 1000);
    });

    // Satisfaction (the feedback records on storage.url's dialect: what `web4 feedback rate` reports).
    gauge('web4_feedback_satisfaction_ratio', 'Thumbs up / all feedback over the window (1d, 7d); absent when the window has no feedback.', ['window'], (put, s) => {
      for (const [window, sat] of Object.entries(s.satisfaction ?? {})) if (sat.ratePct !== null) put(sat.ratePct / 100, { window });
    });
    gauge('web4_feedback_ratings', 'Feedback entries over the window, by rating.', ['window', 'rating'], (put, s) => {
      for (const [window, sat] of Object.entries(s.satisfaction ?? {})) {
        put(sat.up, { window, rating: 'thumbs_up' });
        put(sat.down, { window, rating: 'thumbs_down' });
      }
    });
  }
}

/**
 * A gauge that is absent from a scrape when its collect callback found nothing to report
 * (prom-client writes an unlabelled gauge as 0 otherwise, and "no night yet" is not "loss 0").
 */
class StateGauge extends Gauge<string> {
  present = false;
  override async get(): ReturnType<Gauge<string>['get']> {
    const out = await super.get();
    return this.present ? out : { ...out, values: [] };
  }
}

/** The runs, validations and feedback records where storage.url says (the state root's files without a config). */
async function openStores(
  paths: Pick<StatePaths, 'metricsDb' | 'feedbackDb'>,
  config: Pick<Web4Config, 'storage' | 'monitoring'> | undefined,
): Promise<{ metrics: MetricsReader; feedback: FeedbackReader }> {
  const metrics = await (config ? MetricsReader.open(config, paths) : MetricsReader.sqlite(paths.metricsDb));
  try {
    return { metrics, feedback: await (config ? FeedbackReader.open(config, paths) : FeedbackReader.sqlite(paths.feedbackDb)) };
  } catch (error) {
    await metrics.close();
    throw error;
  }
}

function canaries(night: NightRecord | null): { passed: number; total: number } | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(night?.canaries ?? '');
  return m ? { passed: Number(m[1]), total: Number(m[2]) } : undefined;
}

function seconds(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? ms / 1000 : 0;
}

function isCount(n: number | null): n is number {
  return n !== null && Number.isFinite(n) && n >= 0;
}

function statusClass(status: number): string {
  return Number.isInteger(status) && status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
}
