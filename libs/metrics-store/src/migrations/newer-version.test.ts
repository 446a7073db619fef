import BetterSqlite3 from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FixedClock, StorageError } from '@web4/core';
import { FeedbackStore } from '../feedback-store.js';
import { MetricsStore } from '../metrics-store.js';
import { QueryLogger } from '../query-logger.js';
import { tempRoot } from '../test-fixtures/snapshot.js';
import { feedbackMigrations } from './feedback/index.js';
import { metricsMigrations } from './metrics/index.js';

const clock = new FixedClock('2026-11-25T12:00:00Z');
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
let root: ReturnType<typeof tempRoot>;
beforeEach(() => (root = tempRoot()));
afterEach(() => root.cleanup());

/** What a later web4 leaves behind: one more step recorded (and its table) on top of ours. */
function advance(path: string, version: number, name: string): void {
  const db = new BetterSqlite3(path);
  db.exec(`CREATE TABLE later_table (x TEXT); INSERT INTO schema_migrations VALUES (${version}, '${name}', '2027-01-01T00:00:00Z')`);
  db.close();
}

function refusal(open: () => unknown): StorageError {
  try {
    open();
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    return error as StorageError;
  }
  throw new Error('expected a StorageError, the file was opened');
}

describe('metrics and feedback files written by a newer version of web4', () => {
  it('are refused by every opener with the file, its version, ours and the setting; no byte changes', () => {
    const metricsDb = join(root.dir, 'logs', 'production_metrics.db');
    const feedbackDb = join(root.dir, 'logs', 'user_feedback.db');
    const logger = QueryLogger.open(metricsDb, { clock, flushOnExit: false });
    logger.log({ timestamp: new Date('2026-11-24T10:00:00Z'), latencyMs: 120 });
    logger.close();
    const feedback = FeedbackStore.open(feedbackDb, { clock });
    feedback.add({ query: 'q', response: 'r', rating: 'up' });
    feedback.close();
    const knownMetrics = Math.max(...metricsMigrations.map((m) => m.version));
    const knownFeedback = Math.max(...feedbackMigrations.map((m) => m.version));
    advance(metricsDb, knownMetrics + 1, 'later_metrics_step');
    advance(feedbackDb, knownFeedback + 1, 'later_feedback_step');
    const before = { metrics: sha256(metricsDb), feedback: sha256(feedbackDb) };

    for (const open of [() => MetricsStore.open(metricsDb), () => QueryLogger.open(metricsDb, { flushOnExit: false })]) {
      const error = refusal(open);
      expect(error.message).toBe(
        `${metricsDb} was written by a newer version of web4: its schema is at version ${knownMetrics + 1} (later_metrics_step), and this program knows versions up to ${knownMetrics}. Nothing in it was changed.`,
      );
      expect(error.hint).toContain('Upgrade web4');
      expect(error.hint).toContain('paths.metricsDb');
      expect(error.exitCode).toBe(3);
    }
    const error = refusal(() => FeedbackStore.open(feedbackDb));
    expect(error.message).toContain(`${feedbackDb} was written by a newer version of web4: its schema is at version ${knownFeedback + 1} (later_feedback_step)`);
    expect(error.hint).toContain('paths.feedbackDb');
    expect({ metrics: sha256(metricsDb), feedback: sha256(feedbackDb) }).toEqual(before);
  });
});
