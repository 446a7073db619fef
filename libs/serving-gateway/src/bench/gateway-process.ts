/**
 * The gateway in a process of its own, for the capacity bench (so that the load generator does
 * not share its CPU): `tsx gateway-process.ts '{"root": "...", "ollamaUrl": "..."}'`. Prints one
 * JSON line `{"url": ...}` when it listens; closing its stdin closes it (open streams ended, every
 * query row flushed), then it prints `{"closed": true}` and exits 0.
 */
import { loadConfig, resolvePaths } from '@web4/core';
import { GatewayMetrics } from '../metrics.js';
import { startGateway } from '../server.js';

const { root, ollamaUrl } = JSON.parse(process.argv[2] ?? '{}') as { root?: string; ollamaUrl?: string };
if (!root || !ollamaUrl) {
  process.stderr.write('usage: gateway-process.ts \'{"root": STATE_ROOT, "ollamaUrl": URL}\'\n');
  process.exit(2);
}
const { config } = loadConfig({ root, env: {} });
const paths = resolvePaths(config);
const metrics = new GatewayMetrics({ paths });
const gateway = await startGateway({ config, paths, ollamaUrl, port: 0, observers: [metrics], routes: { '/metrics': metrics.handler } });
process.stdout.write(JSON.stringify({ url: gateway.url }) + '\n');
process.stdin.resume();
process.stdin.on('end', () => {
  void (async () => {
    await gateway.close();
    await metrics.close();
    process.stdout.write(JSON.stringify({ closed: true }) + '\n');
    process.exit(0);
  })();
});
