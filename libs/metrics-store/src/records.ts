import type { Clock, Logger, StatePaths, Web4Config } from '@web4/core';
import { storageTarget } from '@web4/storage';
import { type FeedbackEntry, FeedbackStore, type FeedbackInput, type QueryRatingInput, type Satisfaction } from './feedback-store.js';
import type { MetricsStore } from './metrics-store.js';
import { PostgresFeedbackStore, PostgresMetricsStore } from './postgres-stores.js';
import { QueryLogger, type QueryLoggerOptions } from './query-logger.js';

/**
 * The one place that picks the dialect of the query and feedback records from `storage.url`:
 * the commands, the gateway and the dashboard open them here (the reports through
 * MetricsReader.open / FeedbackReader.open). SQLite: the files under the state root
 * (paths.metricsDb, paths.feedbackDb); postgres://…: the metrics and feedback schemas there.
 * Runs and validations are written to the SQLite file and published to PostgreSQL by
 * RecordsPublisher (read back through MetricsReader); the model registry and run locks stay in
 * the SQLite file either way.
 */

type RecordsConfig = Pick<Web4Config, 'storage' | 'monitoring'>;

/** A QueryLogger writing where storage.url says (it owns its store: closeAsync() closes it). */
export async function openQueryLogger(
  config: RecordsConfig,
  paths: Pick<StatePaths, 'metricsDb'>,
  options: QueryLoggerOptions & { clock?: Clock; logger?: Logger } = {},
): Promise<QueryLogger<MetricsStore | PostgresMetricsStore>> {
  const target = storageTarget(config);
  const common = { maxTextBytes: config.monitoring.maxTextBytes, batchSize: config.monitoring.batchSize, flushIntervalMs: config.monitoring.flushIntervalMs, ...options };
  if (target.dialect === 'sqlite') return QueryLogger.open(paths.metricsDb, { busyTimeoutMs: config.monitoring.busyTimeoutMs, ...common });
  const store = await PostgresMetricsStore.open(target.url, { ...(options.clock ? { clock: options.clock } : {}), ...(options.logger ? { logger: options.logger } : {}) });
  return new QueryLogger<MetricsStore | PostgresMetricsStore>(store, common, true);
}

/** The feedback records on either dialect, asynchronously (FeedbackStore's semantics). */
export interface FeedbackRecords {
  readonly dialect: 'sqlite' | 'postgres';
  /** The file, or storage.url without its password. */
  readonly path: string;
  add(input: FeedbackInput): Promise<number>;
  rateQuery(input: QueryRatingInput): Promise<{ id: number; replaced: boolean }>;
  satisfaction(from: Date, to: Date): Promise<Satisfaction>;
  list(from: Date, to: Date, limit?: number): Promise<FeedbackEntry[]>;
  close(): Promise<void>;
}

class SqliteFeedbackRecords implements FeedbackRecords {
  readonly dialect = 'sqlite' as const;
  constructor(readonly store: FeedbackStore) {}
  get path(): string {
    return this.store.file.path;
  }
  async add(input: FeedbackInput): Promise<number> {
    return this.store.add(input);
  }
  async rateQuery(input: QueryRatingInput): Promise<{ id: number; replaced: boolean }> {
    return this.store.rateQuery(input);
  }
  async satisfaction(from: Date, to: Date): Promise<Satisfaction> {
    return this.store.satisfaction(from, to);
  }
  async list(from: Date, to: Date, limit?: number): Promise<FeedbackEntry[]> {
    return this.store.list(from, to, limit);
  }
  async close(): Promise<void> {
    this.store.close();
  }
}

export async function openFeedbackRecords(
  config: RecordsConfig,
  paths: Pick<StatePaths, 'feedbackDb'>,
  options: { clock?: Clock } = {},
): Promise<FeedbackRecords> {
  const target = storageTarget(config);
  const common = { maxTextBytes: config.monitoring.maxTextBytes, ...(options.clock ? { clock: options.clock } : {}) };
  if (target.dialect === 'sqlite') return new SqliteFeedbackRecords(FeedbackStore.open(paths.feedbackDb, { busyTimeoutMs: config.monitoring.busyTimeoutMs, ...common }));
  return PostgresFeedbackStore.open(target.url, common);
}
