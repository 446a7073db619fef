import { createLogger, isWeb4Error, loadConfig, resolvePaths } from '@web4/core';
import { closeOnSignal, describeGateway, gatewayParts, openGateway } from '@web4/serving-gateway';
import { resolve } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';

/**
 * The gateway bundle (dist/apps/gateway/main.js): the same server as `web4 gateway`, for a
 * service manager or a container. Logic: libs/serving-gateway.
 *
 *   node --min-semi-space-size=16 dist/apps/gateway/main.js [--port N] [--host ADDR] [--ollama-url URL] [--root DIR] [--config FILE]
 *
 * (--min-semi-space-size=16: tools/node-flags.mjs says why; node refuses it in NODE_OPTIONS.)
 */
async function main(argv: string[]): Promise<number> {
  const args = await yargs(argv)
    .scriptName('gateway')
    .option('root', { type: 'string', describe: 'State root. Default: WEB4_STATE_ROOT or the working directory' })
    .option('config', { type: 'string', describe: 'Config file. Default: <root>/web4.config.json' })
    .option('port', { type: 'number', describe: 'Port (default gateway.port; 0: any free port)' })
    .option('host', { type: 'string', describe: 'Address to bind (default gateway.host, 127.0.0.1; any other needs the token in gateway.tokenEnv)' })
    .option('ollama-url', { type: 'string', describe: "Ollama's URL (default: this state root's Ollama)" })
    .strict()
    .help()
    .parse();
  const { config } = loadConfig({ ...(args.root !== undefined ? { root: args.root } : {}), ...(args.config !== undefined ? { configFile: args.config } : {}) });
  const paths = resolvePaths(config);
  const logger = createLogger({ file: resolve(paths.logsDir, 'gateway.log'), level: config.logging.level, console: false, name: 'gateway' });
  const parts = await gatewayParts({ config, paths, logger });
  const gateway = await openGateway({
    config,
    paths,
    logger,
    router: parts.router,
    retriever: parts.retriever,
    observers: parts.observers,
    routes: parts.routes,
    publicRoutes: parts.publicRoutes,
    ...(args.port !== undefined ? { port: args.port } : {}),
    ...(args.host !== undefined ? { host: args.host } : {}),
    ...(args.ollamaUrl !== undefined ? { ollamaUrl: args.ollamaUrl } : {}),
  }).catch(async (error: unknown) => {
    await parts.close();
    throw error;
  });
  const say = (line: string) => process.stdout.write(line + '\n');
  for (const line of describeGateway(gateway, { ollamaUrl: gateway.ollamaUrl, tokenRequired: gateway.tokenRequired, tokenEnv: config.gateway.tokenEnv, dashboard: true })) say(line);
  const signal = await closeOnSignal(gateway, (s) => say(`${s}: stopping…`));
  await parts.close();
  say(`gateway stopped (${signal})`);
  return 0;
}

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${isWeb4Error(error) ? error.toUserString() : ((error as Error).stack ?? String(error))}\n`);
    process.exitCode = isWeb4Error(error) ? error.exitCode : 1;
  },
);
