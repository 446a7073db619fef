import { ConfigError, silentLogger, systemClock } from '@web4/core';
import { type FeedbackRecords, MetricsStore, openFeedbackRecords, openQueryLogger, type QueryRecord } from '@web4/metrics-store';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BearerAuth, isLoopbackHost } from './auth.js';
import { RecentAnswers, serveFeedback } from './feedback-route.js';
import { GatewayHttpError, sendError } from './http-errors.js';
import { OllamaUpstream } from './ollama-proxy.js';
import { serveOpenAiChat } from './openai-compat.js';
import { QueryState, serveQuery, toHttpError, type QueryRouteDeps } from './query-route.js';
import { ServedModels } from './served-models.js';
import type { GatewayEndpoint, GatewayObserver, GatewayOptions, GatewayQueryEvent, RunningGateway } from './types.js';

/** Ollama's own API paths, named as such in onResponse (bounded); any other path is `other`. */
const KNOWN_ROUTES = new Set([
  '/api/chat',
  '/api/generate',
  '/api/feedback',
  '/v1/chat/completions',
  '/api/tags',
  '/api/show',
  '/api/version',
  '/api/ps',
  '/api/embed',
  '/api/embeddings',
  '/api/pull',
  '/api/push',
  '/api/create',
  '/api/copy',
  '/api/delete',
]);

const QUERY_ENDPOINTS: Record<string, GatewayEndpoint> = { '/api/chat': 'chat', '/api/generate': 'generate', '/v1/chat/completions': 'openai_chat' };
const MAX_NAME_CHARS = 200;
const ignore = (): void => undefined;

/**
 * Start the gateway: an Ollama-compatible HTTP server in front of `ollamaUrl`. POST /api/chat
 * and /api/generate (and /v1/chat/completions) are routed, given context when the router says
 * so, measured and recorded (one query_metrics row each, success or failure); POST /api/feedback
 * rates an answer; `options.routes` add pages (/metrics, the dashboard); every other path is
 * passed to Ollama unchanged. Listens on 127.0.0.1 unless told otherwise; on any other address a
 * bearer token is required to start, and then on every request.
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const { config, paths } = options;
  const settings = config.gateway;
  const host = options.host ?? settings.host;
  const port = options.port ?? settings.port;
  const logger = options.logger ?? silentLogger();
  const clock = options.clock ?? systemClock;
  if (!isLoopbackHost(host) && !options.token) {
    throw new ConfigError(`The gateway will not listen on ${host} without a bearer token: anyone who can reach that address could use the models and read the metrics.`, {
      hint: `Put a long random token in the environment variable ${settings.tokenEnv} (config.gateway.tokenEnv), e.g. \`export ${settings.tokenEnv}=$(openssl rand -hex 32)\`, or bind 127.0.0.1 (--host 127.0.0.1).`,
    });
  }
  const auth = options.token ? new BearerAuth(options.token) : undefined;
  const observers: GatewayObserver[] = options.observers ?? [];
  const routes = options.routes ?? {};
  const publicRoutes = new Set((options.publicRoutes ?? []).filter((path) => Object.hasOwn(routes, path)));
  // Query rows and ratings go where storage.url says (SQLite file or PostgreSQL); the model
  // registry stays in the SQLite file either way.
  const queryLogger = await openQueryLogger(config, paths, { clock, logger });
  const registry = queryLogger.store instanceof MetricsStore ? queryLogger.store : MetricsStore.open(paths.metricsDb, { clock, busyTimeoutMs: config.monitoring.busyTimeoutMs });
  const upstream = new OllamaUpstream(options.ollamaUrl, { connectTimeoutMs: settings.connectTimeoutMs, upstreamTimeoutMs: settings.upstreamTimeoutMs });
  const models = new ServedModels(config, registry, options.ollamaUrl, logger);
  const recent = new RecentAnswers();
  let feedbackStore: Promise<FeedbackRecords> | undefined;
  const openFeedback = (): Promise<FeedbackRecords> => {
    feedbackStore ??= openFeedbackRecords(config, paths, { clock });
    // A failed open (server down) is retried by the next rating, not cached.
    feedbackStore.catch(() => (feedbackStore = undefined));
    return feedbackStore;
  };
  const closeStores = async (): Promise<void> => {
    try {
      await queryLogger.closeAsync();
    } finally {
      if (registry !== queryLogger.store) registry.close();
      const feedback = await feedbackStore?.catch(() => undefined);
      await feedback?.close();
    }
  };

  const notify = <K extends 'onQuery' | 'onFeedback'>(kind: K, event: Parameters<NonNullable<GatewayObserver[K]>>[0]) => {
    for (const o of observers) {
      try {
        (o[kind] as ((e: typeof event) => void) | undefined)?.call(o, event);
      } catch (error) {
        logger.warn({ err: error }, `gateway: an observer's ${kind} failed`);
      }
    }
  };

  const record = (q: QueryState): void => {
    if (!q.isQuery) return;
    const latencyMs = performance.now() - q.started;
    const model = (q.model || q.requestedModel).slice(0, MAX_NAME_CHARS);
    const event: GatewayQueryEvent = {
      queryId: q.queryId,
      timestamp: q.timestamp,
      endpoint: q.endpoint,
      requestedModel: q.requestedModel,
      model,
      modelVersion: model ? models.versionOf(model) : null,
      stream: q.stream,
      status: q.status,
      latencyMs,
      ttftMs: q.ttftMs,
      tokensIn: q.tokensIn,
      tokensOut: q.tokensOut,
      tokensPerSecond: q.tokensPerSecond,
      routed: q.routed,
      tiersUsed: q.tiersUsed,
      retrievalMs: q.retrievalMs,
      errorKind: q.errorKind,
      error: q.error,
      question: q.question,
    };
    try {
      queryLogger.log(toQueryRecord(event, q.queryType));
    } catch (error) {
      logger.error({ err: error, queryId: q.queryId }, 'gateway: the query could not be recorded');
    }
    notify('onQuery', event);
    if (q.errorKind === null) recent.add(q.queryId, q.question, q.answer);
  };

  const deps: QueryRouteDeps = { config, upstream, models, router: options.router, retriever: options.retriever, logger, record };
  const inFlight = new Set<AbortController>();
  const running = new Set<Promise<void>>();
  let closing = false;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const method = req.method ?? 'GET';
    const controller = new AbortController();
    inFlight.add(controller);
    // A client's reset socket emits 'error' on both; the 'close' handler below records it, it must not crash the process.
    req.on('error', ignore);
    res.on('error', ignore);
    res.once('close', () => {
      inFlight.delete(controller);
      if (!res.writableFinished && !controller.signal.aborted) {
        controller.abort(new GatewayHttpError(499, 'client_disconnect', 'The client closed the connection before the answer ended; the request to Ollama was cancelled.'));
      }
      if (observers.length === 0) return;
      const route = KNOWN_ROUTES.has(path) || Object.hasOwn(routes, path) ? path : 'other';
      for (const o of observers) {
        try {
          o.onResponse?.(route, res.writableFinished ? res.statusCode : 499);
        } catch (error) {
          logger.warn({ err: error }, "gateway: an observer's onResponse failed");
        }
      }
    });
    const endpoint = method === 'POST' ? QUERY_ENDPOINTS[path] : undefined;
    try {
      const isPublic = (method === 'GET' || method === 'HEAD') && publicRoutes.has(path);
      if (auth && !isPublic && !auth.allows(req)) {
        const error = new GatewayHttpError(401, 'unauthorized', `This gateway requires "Authorization: Bearer <token>" with the token in ${settings.tokenEnv} on the gateway's machine.`);
        // Not a query: no metrics row (an exposed gateway must not let strangers fill the
        // database); the refusal is counted by the observers' onResponse.
        req.resume();
        sendError(res, 401, error.message, { 'www-authenticate': 'Bearer' });
        return;
      }
      if (endpoint === 'chat' || endpoint === 'generate') {
        await serveQuery(new QueryState(endpoint, clock.now()), req, res, controller.signal, deps);
        return;
      }
      if (endpoint === 'openai_chat') {
        await serveOpenAiChat(new QueryState(endpoint, clock.now()), req, res, controller.signal, deps);
        return;
      }
      if (method === 'POST' && path === '/api/feedback') {
        await serveFeedback(req, res, { config, queryLogger, feedback: openFeedback, recent, notify: (e) => notify('onFeedback', e) });
        return;
      }
      const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
      // `GET /` is Ollama's liveness check ("Ollama is running", HEAD from its CLI): only a
      // browser (Accept: text/html) gets the dashboard page; every other client gets Ollama's answer.
      const ollamaLiveness = path === '/' && (method === 'HEAD' || !/text\/html/i.test(req.headers.accept ?? ''));
      if (route && !ollamaLiveness && (method === 'GET' || method === 'HEAD')) {
        await route(req, res, new URL(rawUrl, `http://${req.headers.host ?? 'localhost'}`));
        return;
      }
      await upstream.passthrough(req, res, controller.signal);
    } catch (error) {
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : undefined;
      const failure = reason instanceof GatewayHttpError ? reason : toHttpError(error, logger);
      if (!res.writableEnded && !res.destroyed) sendError(res, failure.status, failure.message, failure.kind === 'body_too_large' ? { connection: 'close' } : {});
    }
  };

  const server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    if (closing) {
      sendError(res, 503, 'The gateway is shutting down; retry in a moment.', { connection: 'close' });
      return;
    }
    const done = handle(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'gateway: request failed');
      if (!res.headersSent) sendError(res, 500, `Internal gateway error: ${(error as Error).message}`);
      else res.destroy();
    });
    running.add(done);
    void done.finally(() => running.delete(done));
  });
  // 1,000 clients connecting at once must not wait for SYN retries: a deep accept queue.
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      closeStores().catch((e: unknown) => logger.error({ err: e }, 'gateway: closing the records failed'));
      upstream.close();
      reject(
        error.code === 'EADDRINUSE'
          ? new ConfigError(`Port ${port} on ${host} is already in use.`, { hint: 'Stop what listens there, or start the gateway with --port <another> (0: any free port), or set gateway.port.' })
          : error,
      );
    });
    server.listen({ host, port, backlog: 4096 }, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info({ url, ollama: options.ollamaUrl }, 'gateway: listening');

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      for (const controller of inFlight) controller.abort(new GatewayHttpError(503, 'internal', 'The gateway shut down before the answer ended.'));
      await Promise.race([Promise.allSettled([...running]), new Promise((r) => setTimeout(r, 2_000).unref())]);
      server.closeAllConnections();
      await stopped;
      upstream.close();
      await closeStores();
    })());
  return { url, server, close };
}

/** The query_metrics row of a query event. */
export function toQueryRecord(e: GatewayQueryEvent, queryType = 'general'): QueryRecord {
  return {
    timestamp: e.timestamp,
    queryType,
    latencyMs: e.latencyMs,
    usedHistory: e.tiersUsed.includes('history'),
    usedTools: e.tiersUsed.includes('tools'),
    usedTrainai: e.tiersUsed.includes('trainai'),
    usedGraph: e.tiersUsed.includes('graph'),
    tokensGenerated: e.tokensOut,
    error: e.error,
    errorContext: e.errorKind ? { status: e.status, endpoint: e.endpoint, model: e.model || null } : null,
    queryId: e.queryId,
    endpoint: e.endpoint,
    model: e.model || null,
    modelVersion: e.modelVersion,
    ttftMs: e.ttftMs,
    tokensIn: e.tokensIn,
    tokensPerSecond: e.tokensPerSecond,
    errorKind: e.errorKind,
  };
}
