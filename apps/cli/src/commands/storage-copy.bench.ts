/**
 * How long `web4 storage copy` takes for a history of N query rows (default 100,000):
 *   npx tsx apps/cli/src/commands/storage-copy.bench.ts [N]
 * Writes N rows through MetricsStore into a temporary state root, starts its own PostgreSQL
 * (PostgresServer: initdb + pg_ctl in a temporary folder), then copies into a fresh database per
 * batch size, each as the CLI runs it (a child process, node start included), copy + verification.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { seededRandom } from '@web4/core';
import { PostgresServer } from '@web4/local-services';
import { MetricsStore, toQueryRow } from '@web4/metrics-store';

const N = Number(process.argv[2] ?? 100_000);
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const root = mkdtempSync(join(tmpdir(), 'web4-copy-bench-'));
const random = seededRandom('copy-bench');
const store = MetricsStore.open(join(root, 'logs/production_metrics.db'));
const rows = Array.from({ length: N }, (_, i) =>
  toQueryRow(
    { timestamp: new Date(Date.UTC(2026, 10, 1 + (i % 28), i % 24)), queryType: 'chat', latencyMs: 20 + random() * 1500, tokensGenerated: i % 400, queryId: `q-${i}`, endpoint: 'chat', model: 'web4-agent:latest', modelVersion: 'v1', ttftMs: random() * 300, tokensIn: i % 900, tokensPerSecond: 20 + random() * 60 },
    () => new Date(),
    1_000_000,
  ),
);
for (let i = 0; i < rows.length; i += 5000) store.writeQueries(rows, i, Math.min(rows.length, i + 5000));
store.close();
const server = await PostgresServer.start();
try {
  for (const batch of [1000, 5000]) {
    const url = server.createDatabase(`bench_${batch}`);
    const started = Date.now();
    const out = execFileSync(
      process.execPath,
      ['--import', pathToFileURL(join(repo, 'node_modules/tsx/dist/loader.mjs')).href, join(repo, 'apps/cli/src/main.ts'), '--root', root, 'storage', 'copy', '--to', url, '--batch', String(batch), '--json'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const ms = Date.now() - started;
    const result = JSON.parse(out) as { verified: boolean };
    console.log(JSON.stringify({ metric: 'storage.copy_wall_ms', rows: N, batch, ms, rowsPerSecond: Math.round((N / ms) * 1000), verified: result.verified, load: loadavg()[0]!.toFixed(1) }));
  }
} finally {
  server.stop();
  rmSync(root, { recursive: true, force: true });
}
