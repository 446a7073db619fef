import { loadConfig, resolvePaths, type StatePaths, type Web4Config, type Web4ConfigInput } from '@web4/core';
import { MetricsStore } from '@web4/metrics-store';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh state root with this config (merged over the defaults), for a test. */
export function tempRoot(settings: Partial<Web4ConfigInput> = {}): { root: string; config: Web4Config; paths: StatePaths; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), 'web4-gateway-'));
  writeFileSync(join(root, 'web4.config.json'), JSON.stringify(settings));
  const env: NodeJS.ProcessEnv = { ...process.env, WEB4_STATE_ROOT: root };
  const { config } = loadConfig({ root, env });
  return { root, config, paths: resolvePaths(config), remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** Every query_metrics row of a state root, oldest first. */
export function queryRows(paths: StatePaths) {
  const store = MetricsStore.open(paths.metricsDb);
  try {
    return store.file.allNow(store.file.db.selectFrom('query_metrics').selectAll().orderBy('id'));
  } finally {
    store.close();
  }
}
