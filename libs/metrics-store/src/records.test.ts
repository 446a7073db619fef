import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { configSchema } from '@web4/core';
import { MetricsStore } from './metrics-store.js';
import { openQueryLogger } from './records.js';
import { tempRoot } from './test-fixtures/snapshot.js';

let root: ReturnType<typeof tempRoot>;
beforeEach(() => (root = tempRoot('web4-records-')));
afterEach(() => root.cleanup());

describe('openQueryLogger', () => {
  it('batches as monitoring.batchSize and monitoring.flushIntervalMs say', async () => {
    const config = configSchema.parse({ monitoring: { batchSize: 3, flushIntervalMs: 600_000 } });
    const metricsDb = join(root.dir, 'm.db');
    const logger = await openQueryLogger(config, { metricsDb });
    const count = () => {
      const store = MetricsStore.open(metricsDb);
      try {
        return store.countQueries();
      } finally {
        store.close();
      }
    };
    try {
      logger.log({ latencyMs: 1 });
      logger.log({ latencyMs: 2 });
      // Two rows wait for the third or for ten minutes (the default would write them after 200 ms).
      await new Promise((r) => setTimeout(r, 600));
      expect(count()).toBe(0);
      logger.log({ latencyMs: 3 });
      await vi.waitFor(() => expect(count()).toBe(3), { timeout: 2000 });
    } finally {
      await logger.closeAsync();
    }
  });
});
