/**
 * One "machine" writing query records into PostgreSQL, for the multi-process tests:
 *   log-queries-postgres.ts STORAGE_URL STATE_ROOT COUNT WORKER MODE
 * Opens the records as the gateway does (openQueryLogger / openFeedbackRecords from storage.url,
 * its own state root), logs COUNT queries spread over five days, rates every tenth one (on the
 * metrics row and in the feedback records), then by MODE: close (closeAsync, exit 0) |
 * signal (print "logged" and idle until SIGTERM: the shutdown hook must write the rows).
 * Exits 3 with the message on stderr when the records cannot be opened or written.
 */
import { join } from 'node:path';
import type { StatePaths, Web4Config } from '@web4/core';
import { openFeedbackRecords, openQueryLogger } from '../records.js';

const [url, root, countText, worker, mode] = process.argv.slice(2);
const count = Number(countText);
const config = { storage: { url }, monitoring: { busyTimeoutMs: 5000, maxTextBytes: 1_000_000 } } as unknown as Pick<Web4Config, 'storage' | 'monitoring'>;
const paths = { metricsDb: join(root!, 'logs', 'production_metrics.db'), feedbackDb: join(root!, 'logs', 'user_feedback.db') } as Pick<StatePaths, 'metricsDb' | 'feedbackDb'>;

try {
  const logger = await openQueryLogger(config, paths, { batchSize: 500, flushIntervalMs: mode === 'signal' ? 60_000 : 50 });
  const feedback = await openFeedbackRecords(config, paths);
  const base = Date.parse('2026-11-20T00:00:00Z');
  for (let i = 0; i < count; i++) {
    const queryId = `w${worker}-${i}`;
    logger.log({
      timestamp: new Date(base + (i % 5) * 86_400_000 + i),
      queryType: `worker-${worker}`,
      latencyMs: 10 + (i % 1000),
      usedHistory: i % 7 === 0,
      usedTools: i % 3 === 0,
      tokensGenerated: i,
      queryId,
    });
    if (i % 10 === 0 && mode !== 'signal') {
      const rating = i % 20 === 0 ? 'up' : 'down';
      await logger.setUserFeedbackAsync(queryId, rating);
      await feedback.rateQuery({ queryId, rating, timestamp: new Date(base + (i % 5) * 86_400_000 + i) });
    }
    // Yield now and then, as a server between requests does: the timer and full batches write meanwhile.
    if (i % 200 === 0) await new Promise((r) => setImmediate(r));
  }
  await feedback.close();
  if (mode === 'close') {
    await logger.closeAsync();
  } else {
    process.stdout.write('logged\n');
    setInterval(() => undefined, 1000);
  }
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(3);
}
