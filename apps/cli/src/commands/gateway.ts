import { EXIT_CODES, InputError } from '@web4/core';
import { closeOnSignal, describeGateway, openGateway } from '@web4/serving-gateway';
import type { CommandModule } from 'yargs';
import { createContext, runCommand, type GlobalArgs } from '../context.js';

interface GatewayArgs extends GlobalArgs {
  port?: number;
  host?: string;
  ollamaUrl?: string;
}

async function gateway(args: GatewayArgs): Promise<number> {
  if (args.port !== undefined && (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535)) {
    throw new InputError(`--port must be a whole number from 0 to 65535 (0: any free port), got ${String(args.port)}.`);
  }
  if (args.host !== undefined && args.host.trim() === '') throw new InputError('--host is empty; give an address such as 127.0.0.1.');
  const ctx = createContext(args, 'gateway.log');
  const running = await openGateway({
    config: ctx.config,
    paths: ctx.paths,
    logger: ctx.logger,
    ...(args.port !== undefined ? { port: args.port } : {}),
    ...(args.host !== undefined ? { host: args.host } : {}),
    ...(args.ollamaUrl !== undefined ? { ollamaUrl: args.ollamaUrl } : {}),
  });
  for (const line of describeGateway(running, { ollamaUrl: running.ollamaUrl, tokenRequired: running.tokenRequired, tokenEnv: ctx.config.gateway.tokenEnv })) ctx.say(line);
  ctx.emit({ url: running.url, ollamaUrl: running.ollamaUrl, tokenRequired: running.tokenRequired });
  const signal = await closeOnSignal(running, (s) => ctx.say(`${s}: stopping (open answers end, queries recorded)…`));
  ctx.say(`gateway stopped (${signal})`);
  return EXIT_CODES.ok;
}

export const gatewayCommand: CommandModule<object, GatewayArgs> = {
  command: 'gateway',
  describe: 'Serve the Ollama API with routing, retrieval and a metrics row per query (runs until Ctrl-C)',
  builder: (y) =>
    y
      .option('port', { type: 'number', describe: 'Port (default gateway.port, 11435; 0: any free port)' })
      .option('host', { type: 'string', describe: 'Address to bind (default gateway.host, 127.0.0.1; any other needs the token in gateway.tokenEnv)' })
      .option('ollama-url', { type: 'string', describe: "Ollama's URL (default: this state root's Ollama, as `web4 services status` shows it)" }) as never,
  handler: (args) => runCommand(args, () => gateway(args)),
};
