import { ServiceError, type Clock, type Logger, type StatePaths, type Web4Config } from '@web4/core';
import { servicesFromConfig } from '@web4/local-services';
import { DASHBOARD_PUBLIC_PATHS, dashboardRoutes } from './dashboard/dashboard-routes.js';
import { GatewayMetrics } from './metrics.js';
import { createGatewayRouting } from './router/gateway-routing.js';
import { startGateway } from './server.js';
import type { ContextRetriever, GatewayObserver, QueryRouter, RouteHandler, RunningGateway } from './types.js';

export interface OpenGatewayOptions {
  config: Web4Config;
  paths: StatePaths;
  logger?: Logger;
  /** Ollama's URL; default: this state root's Ollama, found like `web4 ask` finds it. */
  ollamaUrl?: string;
  /** Override config.gateway.host / port. */
  host?: string;
  port?: number;
  /** Default: process.env[config.gateway.tokenEnv]. */
  token?: string;
  // ---- The other parts of the gateway, wired in by whoever composes it (apps/gateway, web4 gateway, npm start) ----
  /** The Training-First router (router/); without one every query is answered by the trained model alone. */
  router?: QueryRouter;
  /** Retrieval from the tiers when the router says so. Closed with the gateway. */
  retriever?: ContextRetriever;
  /** Prometheus metrics (metrics.ts) and anything else that watches queries and feedback. */
  observers?: GatewayObserver[];
  /** Extra GET routes: `/metrics`, `/` and `/api/dashboard` (dashboard/). */
  routes?: Record<string, RouteHandler>;
  /** Paths of `routes` served without the token (GatewayOptions.publicRoutes). */
  publicRoutes?: readonly string[];
  clock?: Clock;
}

/** Everything the product's gateway serves besides the Ollama API, ready for openGateway / startGateway. */
export interface GatewayParts {
  router: QueryRouter;
  retriever: ContextRetriever;
  metrics: GatewayMetrics;
  observers: GatewayObserver[];
  routes: Record<string, RouteHandler>;
  publicRoutes: readonly string[];
  /** Closes the metrics' databases, the tiers and the embedding model (idempotent). */
  close(): Promise<void>;
}

/**
 * The parts of the gateway as `web4 gateway`, apps/gateway and `npm start` serve it: the
 * Training-First router and the retrieval tiers (config.gateway.routing), Prometheus metrics on
 * /metrics, the dashboard on / (its figures on /api/dashboard, token-protected). One composition,
 * so that the demo's gateway is the production one.
 */
export async function gatewayParts(o: { config: Web4Config; paths: StatePaths; logger?: Logger; clock?: Clock; chromaUrl?: string }): Promise<GatewayParts> {
  const routing = await createGatewayRouting({ config: o.config, paths: o.paths, ...(o.logger ? { logger: o.logger } : {}), ...(o.chromaUrl ? { chromaUrl: o.chromaUrl } : {}) });
  const metrics = new GatewayMetrics({ paths: o.paths, config: o.config, ...(o.clock ? { clock: o.clock } : {}), ...(o.logger ? { logger: o.logger } : {}) });
  let closed: Promise<void> | undefined;
  return {
    router: routing.router,
    retriever: routing.retriever,
    metrics,
    observers: [metrics],
    routes: { ...dashboardRoutes({ config: o.config, paths: o.paths, ...(o.clock ? { clock: o.clock } : {}) }), '/metrics': metrics.handler },
    publicRoutes: DASHBOARD_PUBLIC_PATHS,
    close: () =>
      (closed ??= (async () => {
        try {
          await metrics.close();
        } finally {
          await routing.close();
        }
      })()),
  };
}

/**
 * The gateway of a state root: its Ollama (as `web4 ask` finds it), the token from the
 * environment, and whatever router, retriever, observers and routes the caller adds.
 */
export async function openGateway(o: OpenGatewayOptions): Promise<RunningGateway & { ollamaUrl: string; tokenRequired: boolean }> {
  const ollamaUrl = o.ollamaUrl ?? (await findOllama(o.config, o.paths));
  const envToken = process.env[o.config.gateway.tokenEnv];
  const token = o.token ?? (envToken && envToken.trim() !== '' ? envToken.trim() : undefined);
  const gateway = await startGateway({
    config: o.config,
    paths: o.paths,
    ollamaUrl,
    ...(o.host !== undefined ? { host: o.host } : {}),
    ...(o.port !== undefined ? { port: o.port } : {}),
    ...(token ? { token } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.router ? { router: o.router } : {}),
    ...(o.retriever ? { retriever: o.retriever } : {}),
    ...(o.observers ? { observers: o.observers } : {}),
    ...(o.routes ? { routes: o.routes } : {}),
    ...(o.publicRoutes ? { publicRoutes: o.publicRoutes } : {}),
  }).catch(async (error: unknown) => {
    await o.retriever?.close?.();
    throw error;
  });
  return {
    ...gateway,
    ollamaUrl,
    tokenRequired: token !== undefined,
    close: async () => {
      try {
        await gateway.close();
      } finally {
        await o.retriever?.close?.();
      }
    },
  };
}

/** This state root's running Ollama, or a ServiceError saying how to start it. */
export async function findOllama(config: Web4Config, paths: StatePaths): Promise<string> {
  const status = await servicesFromConfig(config, paths).ollama.status();
  if (status.state !== 'running' || !status.url) {
    throw new ServiceError('Ollama is not running, so the gateway has nothing to serve.', { hint: 'Start it with `web4 services up` (or pass --ollama-url).' });
  }
  return status.url;
}

/** Wait for SIGINT or SIGTERM, then close the gateway (streams ended, Ollama requests cancelled, rows flushed). Returns the signal. */
export async function closeOnSignal(gateway: RunningGateway, onSignal?: (signal: NodeJS.Signals) => void): Promise<NodeJS.Signals> {
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const stop = (s: NodeJS.Signals) => {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      resolve(s);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  onSignal?.(signal);
  await gateway.close();
  return signal;
}

/** The lines a person starting the gateway needs: where it listens, where Ollama is, whether a token is required. */
export function describeGateway(gateway: RunningGateway, o: { ollamaUrl: string; tokenRequired: boolean; tokenEnv: string; dashboard?: boolean }): string[] {
  return [
    `Gateway listening on ${gateway.url} (Ollama API; point any Ollama client at it, e.g. OLLAMA_HOST=${gateway.url})`,
    `  answers from Ollama at ${o.ollamaUrl}; every query is recorded; POST ${gateway.url}/api/feedback rates an answer by its x-web4-query-id`,
    o.tokenRequired ? `  every request needs "Authorization: Bearer <token>" (the token in ${o.tokenEnv})` : '  no token required (loopback address only)',
    ...(o.dashboard ? [`  dashboard: ${gateway.url}/ in a browser; Prometheus metrics: ${gateway.url}/metrics`] : []),
    '  Ctrl-C (SIGINT) or SIGTERM stops it.',
  ];
}
